/**
 * Junk in, AdError out. Every public callable of adjoint — found by walking the module, so a new
 * export is covered without touching this file — is called with junk (fast-check: `fc.anything`
 * with boxed values, null prototypes, BigInt, sparse and typed arrays; Symbols; NaN, ±Inf, −0;
 * huge and lying array lengths; throwing getters, `valueOf`s and Proxy traps; callbacks that throw,
 * return junk, mutate their arguments or forge handles) and must either return or throw an
 * `AdError` whose code is in the closed union and whose `details.op` names an operation.
 *
 * Deliberate exceptions, each tested on its own below:
 * - What user code throws propagates unchanged: a callback (`f` of `derivative`, `fn` of
 *   `attempt`/`Tape.with`/`checkpoint`, `opts.gradient`), a getter, a `valueOf`, a Proxy trap. Every
 *   such error in the junk is registered, and the walker accepts exactly those (by identity).
 * - `attempt(fn)` rethrows whatever non-AdError `fn` throws: that is its contract.
 * - Plain-number code is unchecked by design (docs/errors-and-edges.md § Errors: "numberScalar … is plain arithmetic
 *   with no checks, so that code on numbers pays nothing"): `numberScalar`, `erf` and the rule
 *   tables' `primal`s. Checked here on numbers only, and that they refuse a Dual/Var (AdError) rather
 *   than coerce it. The rule tables' `df`/`da`/`db` trust their `S` argument (they are the inner loop
 *   of every domain), so they get genuine Scalars and junk operands.
 * - Methods are called on genuine receivers (a method `.call`ed on junk `this`, or on an object made
 *   by an unchecked constructor — `new NestedDual(junkS, …)`, the `@internal` Gradient — is out of
 *   scope), and a Proxy wrapped around a genuine Dual/Var passes `instanceof` and may then lie about
 *   its fields: not defended, the hot path would pay for it. A *revoked* Proxy is junk only for
 *   `describe` and `isAdError`: any `instanceof`/`Array.isArray` on one throws the engine's TypeError.
 * - A class constructor passed as a callback throws the engine's TypeError when called; like any
 *   callback's error it propagates, but it cannot be told from ours by identity, so it is not generated.
 */
import { types } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import * as adjoint from "../src/index.js";
import { MATH_METHODS, VIEW_METHODS } from "./support/tensorMethods.js";
import * as nn from "../src/nn/index.js";
import * as optim from "../src/optim/index.js";
import {
  abstract,
  AD_ERROR_CODES,
  AdError,
  arange,
  BINARY_OPS,
  Dual,
  dualScalar,
  dualScalarOver,
  Gradient,
  NestedDual,
  numberScalar,
  rng,
  Tape,
  tensor,
  trace,
  UNARY_OPS,
  Var,
  zeros,
  type Scalar,
} from "../src/index.js";

/** Runs per callable; `JUNK_RUNS=2000 npx vitest run test/junk.test.ts` for a deeper soak. */
const NUM_RUNS = Number(process.env.JUNK_RUNS ?? 40);

// ── What user code throws ─────────────────────────────────────────────────────────────────────────

const userThrown = new WeakSet<object>();
const USER_SYMBOL = Symbol("thrown by user code");

function userError(where: string): TypeError {
  const e = new TypeError(`user code: ${where}`);
  userThrown.add(e);
  return e;
}

const isUserThrown = (e: unknown): boolean => e === USER_SYMBOL || (typeof e === "object" && e !== null && userThrown.has(e));

function escaped(label: string, e: unknown): Error {
  const what = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split("\n").slice(1, 6).join("\n")}` : `a thrown ${typeof e}`;
  return new Error(`${label} let ${what} escape (only AdError or the user's own error may)`);
}

/** Runs `call`; fails unless it returns or throws an AdError (well-formed) or a user-thrown error. */
let calls = 0;
// The count a long run reports (JUNK_RUNS=170 makes about 100,000 calls).
afterAll(() => {
  if (process.env.JUNK_RUNS !== undefined) console.log(`junk: ${calls} calls with junk, seed ${process.env.FC_SEED ?? "random"}`);
});

function expectAdErrorOrValue(label: string, call: () => unknown, opFromCaller = false): void {
  calls++;
  let result: unknown;
  try {
    result = call();
  } catch (e) {
    checkThrown(label, e, opFromCaller);
    return;
  }
  // An asynchronous call (backwardAsync, read, toAsync) must reject the same way: its rejection is held to the same rules.
  if (isPromise(result)) {
    settling.push(
      result.then(
        () => undefined,
        (e: unknown) => {
          try {
            checkThrown(label, e, opFromCaller);
          } catch (bad) {
            asyncFailures.push(bad);
          }
        },
      ),
    );
  }
}

/** A genuine promise (an internal-slot check: a Proxy's traps are not run). */
const isPromise = (v: unknown): v is Promise<unknown> => types.isPromise(v);

/** The promises junk calls returned, and what their rejections broke: checked once all have settled. */
const settling: Promise<void>[] = [];
const asyncFailures: unknown[] = [];
// Settling takes longer the more calls there were (worker round trips under a deep soak: 10 s at
// JUNK_RUNS=1500 on a loaded machine, past the default hook timeout, though every one settled).
afterAll(
  async () => {
    await Promise.all(settling);
    if (asyncFailures.length > 0) throw asyncFailures[0];
  },
  10_000 + NUM_RUNS * 100,
);

function checkThrown(label: string, e: unknown, opFromCaller: boolean): void {
  if (isUserThrown(e)) return;
  if (!(e instanceof AdError)) throw escaped(label, e);
  if (!AD_ERROR_CODES.includes(e.code)) throw new Error(`${label}: AdError with code ${String(e.code)} outside the union`);
  if (!opFromCaller && (typeof e.details?.op !== "string" || e.details.op === "")) {
    throw new Error(`${label}: AdError without details.op (${e.message})`);
  }
}

// ── Junk ──────────────────────────────────────────────────────────────────────────────────────────

const WEIRD_NUMBERS = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1.5, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE, 1e300, 13];
const number = fc.oneof(fc.constantFrom(...WEIRD_NUMBERS), fc.double(), fc.integer({ min: -3, max: 20 }));
const smallDouble = fc.double({ min: -4, max: 4, noNaN: true });

const TRAPS = [
  "get",
  "set",
  "has",
  "deleteProperty",
  "ownKeys",
  "getOwnPropertyDescriptor",
  "defineProperty",
  "getPrototypeOf",
  "setPrototypeOf",
  "isExtensible",
  "preventExtensions",
  "apply",
  "construct",
] as const;
const throwingTraps: ProxyHandler<object> = Object.fromEntries(
  TRAPS.map((trap) => [
    trap,
    () => {
      throw userError(`Proxy ${trap} trap`);
    },
  ]),
);

/** Keys the library reads off options, results and handles: junk that has them goes deeper. */
const KEYS = ["capacity", "checkFinite", "tangents", "gradient", "step", "rtol", "atol", "op", "length", "x", "dx", "S", "tape", "index", "generation", "from", "value", "mul"];

function withThrowingGetters(keys: readonly string[]): object {
  const o = {};
  for (const k of keys) {
    Object.defineProperty(o, k, {
      enumerable: true,
      get() {
        throw userError(`getter ${k}`);
      },
    });
  }
  return o;
}

class SpeciesThrows extends Array<number> {
  static override get [Symbol.species](): never {
    throw userError("Symbol.species");
  }
}

/**
 * Tensors that are not: what `Object.create(Tensor.prototype)` makes, the same with junk or
 * plausible fields, and a Proxy around a genuine tensor (which could lie about any field).
 */
const FORGED_TENSORS: Record<string, (n: number) => unknown> = {
  forgedTensor: () => Object.create(adjoint.Tensor.prototype),
  forgedTensorJunkFields: (n) =>
    Object.assign(Object.create(adjoint.Tensor.prototype), {
      storage: n,
      dtype: Symbol("dtype"),
      shape: n,
      strides: null,
      offset: {},
      device: n,
      requiresGrad: true,
      node: n,
      grad: n,
    }),
  forgedTensorPlausible: (n) =>
    Object.assign(Object.create(adjoint.Tensor.prototype), {
      storage: new Float32Array(2),
      dtype: "float32",
      shape: [2 ** 20, n],
      strides: [1, 1],
      offset: -n,
      device: "cpu",
      requiresGrad: false,
      node: null,
      grad: null,
    }),
  proxiedTensor: (n) => new Proxy(tensor([n, 2]), {}),
};

/** Hand-made junk: each maker gets a number to vary it and builds a fresh object per run. */
const EXOTIC: Record<string, (n: number) => unknown> = {
  throwingValueOf: () => ({
    valueOf() {
      throw userError("valueOf");
    },
    toString() {
      throw userError("toString");
    },
  }),
  throwingToPrimitive: () => ({
    [Symbol.toPrimitive]() {
      throw userError("Symbol.toPrimitive");
    },
  }),
  junkValueOf: () => ({ valueOf: () => ({}), toString: () => ({}) }),
  nullPrototype: () => Object.create(null),
  throwingProxy: () => new Proxy({}, throwingTraps),
  throwingArrayProxy: () => new Proxy([1, 2], throwingTraps),
  throwingFunctionProxy: () => new Proxy(() => 1, throwingTraps),
  lyingLength: (n) => new Proxy([1, 2, 3], { get: (t, k, r) => (k === "length" ? n : Reflect.get(t, k, r)) }),
  lyingLengthSymbol: () => new Proxy([1, 2], { get: (t, k, r) => (k === "length" ? Symbol("length") : Reflect.get(t, k, r)) }),
  hugeSparse: () => new Array(2 ** 32 - 1),
  hugeSparseTail: () => Object.assign(new Array(2 ** 32 - 1), { 0: 1, 1: 2 }),
  hugeArrayLike: (n) => ({ length: 2 ** 32 - 1, 0: n }),
  farElement: (n) => {
    const a: number[] = [];
    a[100_000] = n;
    return a;
  },
  sparse: (n) => [n, , n],
  getterElement: () =>
    Object.defineProperty([1, 2], 0, {
      get() {
        throw userError("array element getter");
      },
    }),
  flippingElement: (n) => {
    let reads = 0;
    const values = [n, null, Symbol("flip"), undefined, {}];
    return Object.defineProperty([n, n], 0, { get: () => values[reads++ % values.length] });
  },
  throwingGetters: () => withThrowingGetters(KEYS),
  junkGetters: (n) => Object.fromEntries(KEYS.map((k) => [k, [Symbol(k), n, null, {}, () => n][Math.abs(n | 0) % 5]])),
  speciesThrows: (n) => SpeciesThrows.from([n, n]),
  frozen: (n) => Object.freeze([n, n]),
  float64: (n) => new Float64Array([n, NaN, Infinity]),
  detachedFloat32: (n) => {
    // Its buffer transferred away: the length reads 0 and the iterator throws a TypeError.
    const a = new Float32Array([n, n]);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return a;
  },
  holes: () => new Array(3),
  int32: () => new Int32Array(3),
  bigint64: () => new BigInt64Array(2),
  dataView: () => new DataView(new ArrayBuffer(8)),
  arrayBuffer: () => new ArrayBuffer(8),
  invalidDate: () => new Date(NaN),
  regexp: () => /x/g,
  promise: (n) => Promise.resolve(n),
  error: () => new RangeError("not thrown, just passed"),
  adError: () => new AdError("NonFinite", "passed as a value", { op: "test" }),
  boxedSymbol: () => Object(Symbol("boxed")),
  boxedBigInt: () => Object(1n),
  symbol: () => Symbol("junk"),
  bigint: (n) => BigInt(Math.trunc(Number.isFinite(n) ? n : 7)),
  longString: () => "x".repeat(100_000),
  hugeName: () => ({ constructor: { name: "N".repeat(100_000) } }),
  numberScalar: () => numberScalar,
  dualScalar: () => dualScalar,
  ...FORGED_TENSORS,
  partialScalar: (n) => ({ from: () => n, value: () => n, mul: () => n }),
};

const anything = fc.anything({
  maxDepth: 2,
  maxKeys: 4,
  withBoxedValues: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
});

/**
 * A value built fresh at call time from a recipe that fast-check generates and prints. fast-check
 * itself never sees the exotic objects (it probes generated values, which would trip the traps).
 */
abstract class Deferred {
  abstract build(ctx: Ctx): unknown;
  abstract [fc.toStringMethod](): string;
}

class Exotic extends Deferred {
  constructor(
    readonly name: string,
    readonly n: number,
  ) {
    super();
  }
  build(): unknown {
    return EXOTIC[this.name](this.n);
  }
  [fc.toStringMethod](): string {
    return `${this.name}(${this.n})`;
  }
}

const exotic = fc.tuple(fc.constantFrom(...Object.keys(EXOTIC)), number).map(([name, n]) => new Exotic(name, n));
const junkValue: fc.Arbitrary<unknown> = fc.oneof({ weight: 3, arbitrary: anything }, { weight: 3, arbitrary: exotic }, { weight: 2, arbitrary: number });

// ── Handles, made fresh for each run ──────────────────────────────────────────────────────────────

const REF_KINDS = ["var", "const", "known", "stale", "foreign", "forged", "future", "dual", "nested", "nested2", "scalar", "flipping"] as const;
type RefKind = (typeof REF_KINDS)[number];

/** A handle that only exists once the run's tapes do. */
class Ref extends Deferred {
  constructor(
    readonly kind: RefKind,
    readonly n: number,
  ) {
    super();
  }
  build(ctx: Ctx): unknown {
    return ctx.make(this.kind, this.n);
  }
  [fc.toStringMethod](): string {
    return `${this.kind}(${this.n})`;
  }
}

/** An array literal whose items may be deferred. */
class Refs extends Deferred {
  constructor(readonly items: readonly unknown[]) {
    super();
  }
  build(ctx: Ctx): unknown {
    return this.items.map((item) => materialize(item, ctx));
  }
  [fc.toStringMethod](): string {
    return `[${this.items.map((item) => fc.stringify(item)).join(", ")}]`;
  }
}

const N1 = dualScalarOver(numberScalar);
const N2 = dualScalarOver(N1);
const FORGED_INDICES = [Infinity, -Infinity, NaN, -1, -0.5, 1.5, 1e9, 2 ** 31, 2 ** 32, 17];
const TAPE_CONFIGS = [{}, { tangents: true }, { checkFinite: true }, { tangents: true, checkFinite: true }] as const;

interface Ctx {
  readonly tape: Tape;
  readonly other: Tape;
  readonly known: readonly Var[];
  readonly stale: Var;
  readonly gradient: Gradient;
  make(kind: RefKind, n: number): unknown;
}

function makeCtx(variant: number): Ctx {
  const tape = new Tape({ ...TAPE_CONFIGS[variant % TAPE_CONFIGS.length], capacity: 16 });
  const other = new Tape({ capacity: 16 });
  const stale = tape.variable(0.25);
  tape.reset();
  const known = tape.variables([0.5, 1.5], [1, 0]);
  const gradient = tape.backward(tape.mul(known[0], known[1].sin()));
  const make = (kind: RefKind, n: number): unknown => {
    const x = Number.isFinite(n) ? n : 0.75;
    switch (kind) {
      case "var":
        return tape.variable(x);
      case "const":
        return tape.constant(x);
      case "known":
        return known[Math.abs(Math.trunc(x)) % known.length];
      case "stale":
        return stale;
      case "foreign":
        return other.variable(x);
      case "forged":
        return new Var(tape, FORGED_INDICES[Math.abs(Math.trunc(x)) % FORGED_INDICES.length], tape.generation);
      case "future":
        return new Var(tape, 0, tape.generation + 1);
      case "dual":
        return Dual.variable(x);
      case "nested":
        return new NestedDual(numberScalar, x, 1);
      case "nested2":
        return N2.from(x);
      case "scalar":
        return [numberScalar, dualScalar, N1, N2, tape.scalar, other.scalar][Math.abs(Math.trunc(x)) % 6];
      case "flipping": {
        // An array of variables whose first element answers differently at every read.
        let reads = 0;
        const answers = [known[0], null, known[1], Symbol("flip"), x];
        return Object.defineProperty([known[0], known[1]], 0, { get: () => answers[reads++ % answers.length] });
      }
    }
  };
  return { tape, other, known, stale, gradient, make };
}

function materialize(v: unknown, ctx: Ctx): unknown {
  return v instanceof Deferred ? v.build(ctx) : v;
}

const ref = fc.tuple(fc.constantFrom(...REF_KINDS), fc.integer({ min: 0, max: 20 })).map(([kind, n]) => new Ref(kind, n));
const operand = fc.oneof(number, ref, ref);
const refArray = fc.array(fc.oneof({ weight: 4, arbitrary: operand }, { weight: 1, arbitrary: junkValue }), { maxLength: 4 }).map((items) => new Refs(items));

// ── Callbacks ─────────────────────────────────────────────────────────────────────────────────────

type Callback = (...args: unknown[]) => unknown;
const first = (x: unknown): unknown => (Array.isArray(x) ? x[0] : x);

/** Something shaped like `a` but hollow: what a careless or hostile callback might hand back. */
function impostor(a: unknown, j: unknown): unknown {
  if (a instanceof NestedDual) return new NestedDual(a.S, j, j);
  if (a instanceof Var) return new Var(a.tape, typeof j === "number" ? j : Infinity, a.generation);
  if (a instanceof Dual) return new Dual(a.x, a.dx).add(1);
  return j;
}

/** Callbacks by name, each given a junk value `j` to return or pass on. */
const CALLBACKS: Record<string, (j: unknown) => Callback> = {
  throws: () => () => {
    throw userError("callback");
  },
  throwsSymbol: () => () => {
    throw USER_SYMBOL;
  },
  returnsJunk: (j) => () => j,
  returnsArgument: () => (x) => x,
  returnsFirst: () => first,
  scalarOpOnJunk: (j) => (x, S) => (S as Record<string, Callback> | undefined)?.mul?.(first(x), j),
  methodOnJunk: (j) => (x) => (first(x) as Record<string, Callback> | undefined)?.add?.(j),
  impostor: (j) => (x) => impostor(first(x), j),
  arrayWithJunk: (j) => (x) => [first(x), j],
  arrayOfImpostor: (j) => (x) => [impostor(first(x), j)],
  // Mutates the array it was given, then returns a good-looking value.
  mutatesArgument: (j) => (x) => {
    if (Array.isArray(x)) x[0] = j;
    return first(x);
  },
  async: () => async () => 1,
  generator: () =>
    function* () {
      yield 1;
    },
};

class CallbackRecipe extends Deferred {
  constructor(
    readonly name: string,
    readonly j: unknown,
  ) {
    super();
  }
  build(ctx: Ctx): unknown {
    return CALLBACKS[this.name](materialize(this.j, ctx));
  }
  [fc.toStringMethod](): string {
    return `callback ${this.name}(${fc.stringify(this.j)})`;
  }
}

const callback = fc.tuple(fc.constantFrom(...Object.keys(CALLBACKS)), junkValue).map(([name, j]) => new CallbackRecipe(name, j));

const forgedTensor = fc.tuple(fc.constantFrom(...Object.keys(FORGED_TENSORS)), number).map(([name, n]) => new Exotic(name, n));
const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: junkValue },
  { weight: 1, arbitrary: callback },
  { weight: 1, arbitrary: refArray },
  { weight: 1, arbitrary: ref },
  { weight: 1, arbitrary: forgedTensor },
);

// ── Argument hints: where an argument must be nearly right for the call to get past its checks ───

const vector = fc.oneof(
  fc.array(smallDouble, { maxLength: 4 }),
  fc.array(number, { maxLength: 3 }),
  fc.array(smallDouble, { maxLength: 3 }).map((a) => Float64Array.from(a)),
);
const options = fc.oneof(
  fc.record(
    {
      checkFinite: fc.oneof(fc.boolean(), junkValue),
      tangents: fc.oneof(fc.boolean(), junkValue),
      capacity: fc.oneof(fc.integer({ min: -2, max: 64 }), fc.constantFrom(...WEIRD_NUMBERS)),
      gradient: fc.oneof(vector, callback, junkValue),
      step: fc.oneof(number, fc.constant(1e-3)),
      rtol: number,
      atol: number,
    },
    { requiredKeys: [] },
  ),
  fc.constant({}),
);
const order = fc.oneof(fc.integer({ min: -1, max: 13 }), number);
/** parallelGradient's inputs: one vector per ensemble member. */
const ensemble = fc.array(vector, { maxLength: 3 });
/**
 * A callback run on a worker thread: what it throws cannot cross to the caller as the same object, so
 * it arrives as an AdError (test/parallel/scalarGradient.test.ts), and it is not in CALLBACK_CALLS.
 */
const workerCallback = callback;

/** An array of operands, or one whose element answers differently at each read. */
const operands = fc.oneof({ weight: 3, arbitrary: refArray }, { weight: 1, arbitrary: fc.constant(new Ref("flipping", 0)) });

const HINT = { callback, workerCallback, number, vector, ensemble, options, order, operand, operands, ref } as const;
type Hint = keyof typeof HINT;

/** Per callable (by id), the likely argument at each position; unlisted callables get operands. */
const HINTS: Record<string, readonly Hint[]> = {
  "attempt": ["callback"],
  "derivative": ["callback", "number"],
  "derivatives": ["callback", "number", "order"],
  "nthDerivative": ["callback", "number", "order"],
  "directionalDerivative": ["callback", "vector", "vector"],
  "gradientForward": ["callback", "vector"],
  "jacobianForward": ["callback", "vector"],
  "valueAndGradient": ["callback", "vector", "options"],
  "gradient": ["callback", "vector", "options"],
  "jacobian": ["callback", "vector", "options"],
  "hessianVectorProduct": ["callback", "vector", "vector", "options"],
  "hessian": ["callback", "vector", "options"],
  "centralDifference": ["callback", "vector", "order", "number"],
  "checkGradient": ["callback", "vector", "options"],
  "parallelGradient": ["workerCallback", "ensemble", "options"],
  "parallelValueAndGradient": ["workerCallback", "ensemble", "options"],
  "dualScalarOver": ["ref"],
  "new Tape": ["options"],
  "Tape.with": ["callback", "options"],
  "Tape#checkpoint": ["callback", "operands"],
  "Tape#variables": ["vector", "vector"],
  "Tape#sum": ["operands"],
  "Tape#backward": ["operand", "number"],
  "Gradient#wrt": ["operands"],
  "Gradient#tangentWrt": ["operands"],
};

// ── The walk ──────────────────────────────────────────────────────────────────────────────────────

interface Callable {
  readonly id: string;
  readonly arity: number;
  /** The error's `op` is an argument (the errors.ts helpers): junk there is junk in `details.op`. */
  readonly opFromCaller: boolean;
  /** A rule-table function over `S`: the first argument is a genuine Scalar. */
  readonly takesScalar: boolean;
  /** The `details.op` an argument error from it should carry, where that is defined. */
  readonly op?: string;
  invoke(ctx: Ctx, args: unknown[], variant: number): unknown;
}

/** Members that TypeScript keeps private: on the prototype at run time, not public API. */
const PRIVATE = {
  Tape: [
    "operand",
    "classify",
    "passive",
    "constantNode",
    "record1",
    "record1Any",
    "record2",
    "record2Any",
    "room",
    "unary",
    "binary",
    "read",
    "dual",
    "unaryTangent",
    "binaryTangent",
    "recordValue",
    "checkValue",
    "nonFiniteValue",
    "nonFiniteEdge",
    "release",
  ],
  Gradient: ["tangents", "read", "slot"],
} as const;
// Compile-time: every name listed is really private (not in the public instance type).
const privateAreNotPublic: {
  [C in keyof typeof PRIVATE]: Extract<(typeof PRIVATE)[C][number], keyof InstanceType<(typeof adjoint)[C]>> extends never ? true : false;
} = { Tape: true, Gradient: true };

/** A genuine instance of each exported class with prototype methods; `variant` picks among kinds. */
const RECEIVERS: Record<string, (ctx: Ctx, variant: number, n: number) => object> = {
  Dual: (_ctx, variant, n) => (variant % 2 === 0 ? Dual.variable(n) : Dual.constant(n)),
  NestedDual: (_ctx, variant, n) => [new NestedDual(numberScalar, n, 1), N1.from(n), N2.from(n), new NestedDual(N1, N1.from(n), N1.from(1))][variant % 4],
  Tape: (ctx) => ctx.tape,
  Var: (ctx, variant, n) => [ctx.known[0], ctx.tape.variable(n), ctx.tape.constant(n), ctx.stale][variant % 4],
  Gradient: (ctx) => ctx.gradient,
  Rng: (_ctx, variant) => rng(variant),
  // Contiguous, a transposed view, a broadcast view, a scalar, an empty tensor, a bool mask, a negative-step slice.
  Tensor: (_ctx, variant, n) =>
    [
      tensor([
        [1, 2, 3],
        [4, 5, n],
      ]),
      tensor([
        [1, 2, 3],
        [4, 5, n],
      ]).transpose(),
      tensor([n, 2]).expand([3, 2]),
      tensor(n),
      zeros([0, 3]),
      tensor([true, false]),
      arange(6).slice([null, null, -2]),
    ][variant % 7],
  // A traced program with one float input, with two (a constant captured), and with a pytree output.
  Program: (_ctx, variant) =>
    [
      trace((x: adjoint.Tensor) => x.exp().sum())(abstract([2, 3])),
      trace((x: adjoint.Tensor, y: adjoint.Tensor) => x.mul(y).add(tensor([1, 2])))(abstract([2]), abstract([2])),
      trace((x: adjoint.Tensor) => ({ y: x.neg(), z: [x.sin()] }))(abstract([], "float64")),
    ][variant % 3],
};

/** The Scalars reachable from the API, with the owner their errors name; each exported Scalar must be among them. */
const SCALARS: Record<string, { readonly owner: string; make(ctx: Ctx): Scalar<unknown> }> = {
  "dualScalar": { owner: "Dual", make: () => dualScalar as Scalar<unknown> },
  "dualScalarOver(numberScalar)": { owner: "NestedDual", make: () => N1 as Scalar<unknown> },
  "dualScalarOver(dualScalarOver(numberScalar))": { owner: "NestedDual", make: () => N2 as Scalar<unknown> },
  "dualScalarOver(dualScalar)": { owner: "NestedDual", make: () => dualScalarOver(dualScalar) as Scalar<unknown> },
  "dualScalarOver(tape.scalar)": { owner: "NestedDual", make: (ctx) => dualScalarOver(ctx.tape.scalar) as Scalar<unknown> },
  "tape.scalar": { owner: "Tape", make: (ctx) => ctx.tape.scalar as Scalar<unknown> },
};

/** Whose name a method's errors carry when it is not the class's own: a Var's ops are its tape's. */
const OP_OWNER: Record<string, string> = { Var: "Tape" };
/**
 * Documented delegations: `from` is `constant` (scalar.ts: "the same as constant"); a Var's coercion
 * is refused by the Var itself.
 */
const OP_ALIASES: Record<string, string> = {
  "Tape.from": "Tape.constant",
  "Dual.from": "Dual.constant",
  "Tape.toPrimitive": "Var.toPrimitive",
  // Tensor's view methods are the view functions of the same name (tensor.ts forwards to view.ts).
  ...Object.fromEntries(VIEW_METHODS.map((name) => [`Tensor.${name}`, name])),
  // Its math methods are the functions of the same name (x.mul(w) is mul(x, w)).
  ...Object.fromEntries(MATH_METHODS.map((name) => [`Tensor.${name}`, name])),
  "Tensor.backward": "backward",
  "Tensor.backwardAsync": "backwardAsync",
  // The root re-exports the tensor transform `hessian` under this name (src/index.ts).
  "tensorHessian": "hessian",
  "tensorErf": "erf",
  "Tensor.broadcastTo": "expand",
};
const SCALAR_METHODS = ["from", "value", ...UNARY_OPS, ...BINARY_OPS] as const;

const isClass = (v: unknown): v is new (...args: unknown[]) => object => typeof v === "function" && /^class\b/.test(Function.prototype.toString.call(v));
const isScalar = (v: unknown): v is Scalar<unknown> =>
  typeof v === "object" && v !== null && typeof (v as Scalar<unknown>).from === "function" && typeof (v as Scalar<unknown>).mul === "function";
const firstParam = (fn: Function): string => /^[^(]*\(\s*([\w$]*)/.exec(Function.prototype.toString.call(fn))?.[1] ?? "";

function walk(): { strict: Callable[]; plain: Callable[]; unhandled: string[]; scalarExports: string[] } {
  const strict: Callable[] = [];
  const plain: Callable[] = [];
  const unhandled: string[] = [];
  const scalarExports: string[] = [];
  const fn = (id: string, f: Function, call: (args: unknown[]) => unknown, extra: Partial<Callable> = {}): Callable => ({
    id,
    arity: f.length,
    opFromCaller: firstParam(f) === "op" || firstParam(f) === "code",
    takesScalar: false,
    invoke: (_ctx, args) => call(args),
    ...extra,
  });

  const walkTable = (path: string, table: object): void => {
    for (const [key, value] of Object.entries(table)) {
      if (typeof value === "function") {
        const c = fn(`${path}.${key}`, value, (args) => value(...args), { takesScalar: firstParam(value) === "S" });
        (key === "primal" ? plain : strict).push(c);
      } else if (typeof value === "object" && value !== null) walkTable(`${path}.${key}`, value);
    }
  };

  for (const [name, value] of Object.entries(adjoint)) {
    if (isClass(value)) {
      const C = value;
      strict.push(fn(`new ${name}`, C, (args) => new C(...args), { op: name }));
      for (const key of Object.getOwnPropertyNames(C)) {
        const d = Object.getOwnPropertyDescriptor(C, key)!;
        if (["length", "name", "prototype"].includes(key) || typeof d.value !== "function") continue;
        strict.push(fn(`${name}.${key}`, d.value, (args) => d.value.apply(C, args), { op: `${name}.${key}` }));
      }
      const hidden: readonly string[] = (PRIVATE as Record<string, readonly string[]>)[name] ?? [];
      const members = Reflect.ownKeys(C.prototype).filter((k) => k !== "constructor" && !hidden.includes(String(k)));
      const receiver = RECEIVERS[name];
      if (members.length > 0 && receiver === undefined) unhandled.push(`class ${name}: no receiver in RECEIVERS`);
      if (receiver === undefined) continue;
      for (const key of members) {
        const label = typeof key === "symbol" ? `[${key.description}]` : key;
        const d = Object.getOwnPropertyDescriptor(C.prototype, key)!;
        const id = `${name}#${label}`;
        if (d.get !== undefined) {
          const get = d.get;
          strict.push({ id, arity: 0, opFromCaller: false, takesScalar: false, invoke: (ctx, _args, v) => get.call(receiver(ctx, v, 0.5)) });
        } else if (typeof d.value === "function") {
          const method = d.value as Function;
          const op = `${OP_OWNER[name] ?? name}.${label.replace(/^\[Symbol\.(.*)\]$/, "$1")}`;
          strict.push({
            id,
            arity: method.length,
            opFromCaller: false,
            takesScalar: false,
            op: OP_ALIASES[op] ?? op,
            invoke: (ctx, args, v) => method.apply(receiver(ctx, v, v % 3 === 0 ? NaN : 0.5), args),
          });
        }
      }
    } else if (typeof value === "function") {
      const f = value as Callback;
      (name === "erf" ? plain : strict).push(fn(name, f, (args) => f(...args), { op: OP_ALIASES[name] ?? name }));
    } else if (isScalar(value)) {
      scalarExports.push(name);
      if (value === numberScalar) {
        for (const m of Object.keys(value)) {
          const f = (value as unknown as Record<string, unknown>)[m];
          if (typeof f === "function") plain.push(fn(`numberScalar.${m}`, f, (args) => f(...args)));
        }
      } else if (!(name in SCALARS)) unhandled.push(`Scalar ${name}: not in SCALARS`);
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      walkTable(name, value);
    } else if (!["number", "string", "boolean"].includes(typeof value) && !Array.isArray(value)) {
      unhandled.push(`export ${name}: ${typeof value}`);
    }
  }

  for (const [label, { owner, make }] of Object.entries(SCALARS)) {
    for (const m of SCALAR_METHODS) {
      const op = `${owner}.${m}`;
      strict.push({
        id: `${label}.${m}`,
        arity: m === "from" || m === "value" || (UNARY_OPS as readonly string[]).includes(m) ? 1 : 2,
        opFromCaller: false,
        takesScalar: false,
        op: OP_ALIASES[op] ?? op,
        invoke: (ctx, args) => (make(ctx) as unknown as Record<string, Callback>)[m](...args),
      });
    }
  }
  return { strict, plain, unhandled, scalarExports };
}

const { strict, plain, unhandled, scalarExports } = walk();

function argsFor(c: Callable): fc.Arbitrary<unknown[]> {
  const hints = HINTS[c.id];
  const positions = hints?.map((h) => HINT[h]) ?? Array.from({ length: Math.max(c.arity, 1) }, () => operand);
  const perPosition = positions.map((p, i) =>
    c.takesScalar && i === 0 ? ref.map(() => new Ref("scalar", 1)) : fc.oneof({ weight: 3, arbitrary: p as fc.Arbitrary<unknown> }, { weight: 2, arbitrary: junk }),
  );
  // Sometimes fewer arguments than declared, sometimes one more.
  return fc
    .tuple(fc.tuple(...perPosition), fc.integer({ min: 0, max: positions.length + 1 }), junk)
    .map(([args, count, extra]) => (count > args.length ? [...args, extra] : args.slice(0, count)));
}

describe("every public callable, called with junk, returns or throws an AdError", () => {
  it("the walk covers every export, and nothing it cannot exercise is skipped", () => {
    expect(unhandled).toEqual([]);
    expect(privateAreNotPublic).toEqual({ Tape: true, Gradient: true });
    const ids = new Set([...strict, ...plain].map((c) => c.id));
    for (const [name, value] of Object.entries(adjoint)) {
      const covered = [...ids].some((id) => id === name || id === `new ${name}` || id.startsWith(`${name}.`) || id.startsWith(`${name}#`));
      const data = typeof value !== "function" && !isScalar(value) && (Array.isArray(value) || typeof value !== "object" || Object.keys(value).length === 0);
      expect(covered || data || scalarExports.includes(name), `export ${name} is exercised`).toBe(true);
    }
    for (const id of Object.keys(HINTS)) expect(ids.has(id), `HINTS names ${id}, which the walk does not find`).toBe(true);
    // ~600 at the time of writing; the floor only guards against the walk silently finding nothing.
    expect(strict.length).toBeGreaterThan(400);
  });

  it.each(strict.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    fc.assert(
      fc.property(fc.nat(11), argsFor(c), (variant, rawArgs) => {
        const ctx = makeCtx(variant);
        const args = rawArgs.map((a) => materialize(a, ctx));
        if (c.takesScalar) args[0] = ctx.make("scalar", 1 + (variant % 5)); // never numberScalar (index 0)
        expectAdErrorOrValue(c.id, () => c.invoke(ctx, args, variant), c.opFromCaller);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("a forged tensor is refused, never read", () => {
  // Every argument forged (and a forged tensor among genuine ones): each callable must refuse it with
  // an AdError, or ignore it, but never reach its junk fields (a raw TypeError or RangeError).
  it.each(Object.keys(FORGED_TENSORS))("%s, at every position of every callable", (kind) => {
    const escapes: string[] = [];
    for (const c of strict) {
      const arity = Math.max(c.arity, 1);
      for (let v = 0; v < 3; v++) {
        const ctx = makeCtx(v);
        const args = Array.from({ length: arity }, (_, i) =>
          v === 0 || i === v - 1
            ? FORGED_TENSORS[kind](3)
            : i === 0
              ? tensor([
                  [1, 2],
                  [3, 4],
                ])
              : 2,
        );
        if (c.takesScalar) args[0] = ctx.make("scalar", 1);
        try {
          expectAdErrorOrValue(c.id, () => c.invoke(ctx, args, v), c.opFromCaller);
        } catch (e) {
          escapes.push((e as Error).message.split("\n")[0]);
        }
      }
    }
    expect(escapes).toEqual([]);
  });

  it("instanceof Tensor tells a genuine tensor from a forged one", () => {
    expect(tensor([1]) instanceof adjoint.Tensor).toBe(true);
    expect(arange(4).transpose(0, 0) instanceof adjoint.Tensor).toBe(true);
    for (const make of Object.values(FORGED_TENSORS)) expect(make(1) instanceof adjoint.Tensor).toBe(false);
    for (const notAnObject of [null, undefined, 1, "t", Symbol("t")]) expect((notAnObject as unknown) instanceof adjoint.Tensor).toBe(false);
  });

  it("the error says the tensor is forged", () => {
    expect(() => adjoint.add(FORGED_TENSORS.forgedTensor(0) as never, 1 as never)).toThrow(
      expect.objectContaining({ code: "InvalidArgument", details: expect.objectContaining({ op: "add" }), message: expect.stringContaining("got a forged Tensor") }),
    );
  });
});

describe("an argument error names the function that was called", () => {
  it("details.op of the AdError for Symbol arguments, for every callable that has one", async () => {
    const wrong: string[] = [];
    const judge = (c: (typeof strict)[number], e: unknown) => {
      if (!(e instanceof AdError)) wrong.push(`${c.id}: threw ${String(e)}`);
      else if (e.details.op !== c.op) wrong.push(`${c.id}: op ${e.details.op}, expected ${c.op}`);
    };
    const pending: Promise<unknown>[] = [];
    for (const c of strict) {
      if (c.op === undefined || c.opFromCaller) continue;
      try {
        const result = c.invoke(
          makeCtx(0),
          Array.from({ length: Math.max(c.arity, 1) }, () => Symbol("not a number")),
          0,
        );
        // An asynchronous callable rejects instead of throwing: held to the same rule.
        if (result instanceof Promise)
          pending.push(
            result.then(
              () => undefined,
              (e: unknown) => judge(c, e),
            ),
          );
      } catch (e) {
        judge(c, e);
      }
    }
    await Promise.all(pending);
    expect(wrong).toEqual([]);
  });
});

// ── The deliberate exceptions, each checked for what it does instead ───────────────────────────────

const isUnsupportedOp = (e: unknown): boolean => e instanceof AdError && e.code === "UnsupportedOp";

describe("plain-number code is unchecked by design (docs/errors-and-edges.md), and still refuses a Dual or Var", () => {
  // numberScalar is "no overhead beyond a method call": a typeof check per operand would be cheap in
  // V8, but it would also reject what plain arithmetic accepts (strings, boxed numbers), and docs/errors-and-edges.md
  // promises no checks. So junk such as a Symbol or a BigInt gives the engine's TypeError here. What
  // must hold: numbers in, numbers out; and a derivative type passed by mistake is refused with an
  // AdError by its Symbol.toPrimitive (never silently coerced to NaN).
  it.each(plain.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const arity = Math.max(c.arity, 1);
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: arity, maxLength: arity }), fc.nat(arity - 1), fc.constantFrom<RefKind>("dual", "nested", "var"), (xs, at, kind) => {
        const ctx = makeCtx(0);
        expect(typeof c.invoke(ctx, xs, 0)).toBe("number");
        const args: unknown[] = [...xs];
        args[at] = ctx.make(kind, xs[at]);
        let result: unknown;
        try {
          result = c.invoke(ctx, args, 0);
        } catch (e) {
          expect(isUnsupportedOp(e), String(e)).toBe(true);
          return;
        }
        expect(result, `${c.id} coerced a ${kind}`).toBe(args[at]); // `from`/`value`: the identity
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("attempt", () => {
  it("turns a non-function into an InvalidArgument result instead of throwing", () => {
    fc.assert(
      fc.property(junkValue, (raw) => {
        const fn = materialize(raw, makeCtx(0));
        if (typeof fn === "function") return;
        const r = adjoint.attempt(fn as never);
        expect(r.ok).toBe(false);
        if (!r.ok) expect([r.error.code, r.error.details.op]).toEqual(["InvalidArgument", "attempt"]);
      }),
      { numRuns: 200 },
    );
  });

  it("returns whatever a junk callback returns, and turns its AdError into a result", () => {
    fc.assert(
      fc.property(junkValue, (raw) => {
        const j = materialize(raw, makeCtx(0));
        const r = adjoint.attempt(() => j);
        expect(r.ok && Object.is(r.value, j)).toBe(true);
        const error = new AdError("NonFinite", "from the callback", { op: "test" });
        const failed = adjoint.attempt(() => {
          throw error;
        });
        expect(!failed.ok && failed.error === error).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("rethrows anything else its callback throws, unchanged (a bug is not a value)", () => {
    for (const thrown of [new TypeError("a bug"), new RangeError("a bug"), USER_SYMBOL, { not: "an error" }, undefined]) {
      let caught: unknown = "nothing";
      try {
        adjoint.attempt(() => {
          throw thrown;
        });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(thrown);
    }
  });
});

describe("what a user's callback throws propagates unchanged", () => {
  /** Each entry point that calls user code, with good arguments around the callback `cb`. */
  const CALLBACK_CALLS: Record<string, (cb: Callback) => unknown> = {
    "attempt": (cb) => adjoint.attempt(cb),
    "derivative": (cb) => adjoint.derivative(cb as never, 1),
    "derivatives": (cb) => adjoint.derivatives(cb as never, 1, 3),
    "nthDerivative": (cb) => adjoint.nthDerivative(cb as never, 1, 2),
    "directionalDerivative": (cb) => adjoint.directionalDerivative(cb as never, [1, 2], [1, 0]),
    "gradientForward": (cb) => adjoint.gradientForward(cb as never, [1, 2]),
    "jacobianForward": (cb) => adjoint.jacobianForward(cb as never, [1, 2]),
    "valueAndGradient": (cb) => adjoint.valueAndGradient(cb as never, [1, 2]),
    "gradient": (cb) => adjoint.gradient(cb as never, [1, 2]),
    "jacobian": (cb) => adjoint.jacobian(cb as never, [1, 2]),
    "hessianVectorProduct": (cb) => adjoint.hessianVectorProduct(cb as never, [1, 2], [0, 1]),
    "hessian": (cb) => adjoint.hessian(cb as never, [1, 2]),
    "centralDifference": (cb) => adjoint.centralDifference(cb as never, [1, 2], 1),
    "checkGradient": (cb) => adjoint.checkGradient(cb as never, [1, 2], { gradient: [0, 0] }),
    "checkGradient (opts.gradient)": (cb) => adjoint.checkGradient((x) => x[0], [1, 2], { gradient: cb as never }),
    "Tape.with": (cb) => Tape.with(cb as never),
    "Tape#checkpoint": (cb) => {
      const tape = new Tape();
      return tape.checkpoint(cb as never, [tape.variable(1)]);
    },
  };

  it("the table lists every callable that takes a callback", () => {
    const takesCallback = Object.entries(HINTS)
      .filter(([, hints]) => hints.includes("callback"))
      .map(([id]) => id);
    for (const id of takesCallback) expect(Object.keys(CALLBACK_CALLS), id).toContain(id);
  });

  it.each(Object.entries(CALLBACK_CALLS))("%s", (id, call) => {
    for (const thrown of [new TypeError("the user's bug"), new RangeError("the user's range"), new AdError("NonFinite", "the user's own AdError", { op: "user" }), USER_SYMBOL]) {
      if (id === "attempt" && thrown instanceof AdError) continue; // attempt's contract: that one becomes a result
      let caught: unknown = "nothing";
      try {
        call(() => {
          throw thrown;
        });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(thrown);
    }
  });
});

describe("a handle from another tape, or from before a reset, is refused by name", () => {
  const OPERAND_OPS = [...UNARY_OPS, ...BINARY_OPS, "value", "backward", "sum", "checkpoint", "tangent"] as const;

  it("Tape ops, Var methods and tape.scalar: ForeignVariable / StaleVariable naming the op", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OPERAND_OPS),
        fc.constantFrom<RefKind>("foreign", "stale"),
        fc.nat(1),
        fc.constantFrom("tape", "method", "scalar"),
        fc.nat(3),
        (name, kind, at, style, config) => {
          const ctx = makeCtx(config);
          const bad = ctx.make(kind, 0.5) as Var;
          const good = ctx.known[0];
          const unary = (UNARY_OPS as readonly string[]).includes(name);
          if (name === "tangent" && !ctx.tape.tangents) return; // InvalidArgument first: the tape records no tangents
          if (unary && style === "method" && kind === "foreign") return; // foreign.sin() is its own tape's op: no error
          const tape = ctx.tape as unknown as Record<string, Callback>;
          let call: () => unknown;
          if (name === "sum") call = () => ctx.tape.sum([good, bad]);
          else if (name === "checkpoint") call = () => ctx.tape.checkpoint((xs) => xs, [bad]);
          else if ((BINARY_OPS as readonly string[]).includes(name)) {
            // As a method, a foreign receiver records on its own tape, where the *good* Var is the foreign one.
            const [a, b] = at === 0 ? [bad, good] : [good, bad];
            call = style === "method" ? () => (a as unknown as Record<string, Callback>)[name](b) : () => tape[name](a, b);
          } else if (unary && style === "method") call = () => (bad as unknown as Record<string, Callback>)[name]();
          else call = () => (style === "scalar" ? (ctx.tape.scalar as unknown as Record<string, Callback>) : tape)[name](bad);
          let error: unknown;
          try {
            call();
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(AdError);
          const e = error as AdError;
          expect([e.code, e.details.op], e.message).toEqual([kind === "foreign" ? "ForeignVariable" : "StaleVariable", `Tape.${name}`]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("Gradient.wrt and tangentWrt: ForeignVariable for another tape's Var, StaleVariable after a reset", () => {
    fc.assert(
      fc.property(fc.constantFrom("wrt", "tangentWrt"), fc.boolean(), (method, asList) => {
        const ctx = makeCtx(1); // a tangent tape, so tangentWrt is defined
        const g = ctx.gradient as unknown as Record<string, Callback>;
        const foreign = ctx.other.variable(1);
        ctx.tape.reset();
        const later = ctx.tape.variable(1);
        for (const [v, code] of [
          [foreign, "ForeignVariable"],
          [later, "StaleVariable"],
        ] as const) {
          expect(() => g[method](asList ? [v] : v)).toThrow(expect.objectContaining({ code, details: expect.objectContaining({ op: `Gradient.${method}` }) }));
        }
      }),
      { numRuns: 20 },
    );
  });

  it("a hand-made Var naming no recorded node (−1, 1.5, ∞, NaN, past the end) is InvalidArgument, not garbage or a hang", () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORGED_INDICES, 3), fc.constantFrom("value", "backward", "sin", "add", "sum"), (index, name) => {
        const tape = new Tape();
        tape.variables([1, 2, 3]); // nodes 0..2
        const forged = new Var(tape, index, tape.generation);
        const call = name === "sum" ? () => tape.sum([forged]) : name === "add" ? () => tape.add(1, forged) : () => (tape as unknown as Record<string, Callback>)[name](forged);
        expect(call).toThrow(expect.objectContaining({ code: "InvalidArgument", details: expect.objectContaining({ op: `Tape.${name}` }) }));
      }),
      { numRuns: 60 },
    );
  });
});

describe("describe and isAdError never throw, whatever they are given", () => {
  const revoked = (): unknown => {
    const { proxy, revoke } = Proxy.revocable([], {});
    revoke();
    return proxy;
  };

  it("describe: a short string for junk, throwing Proxies and revoked Proxies alike", () => {
    fc.assert(
      fc.property(fc.oneof(junkValue, fc.constant("revoked")), (raw) => {
        const value = raw === "revoked" ? revoked() : materialize(raw, makeCtx(0));
        const d = adjoint.describe(value);
        expect(typeof d).toBe("string");
        expect(d.length).toBeLessThanOrEqual(256); // 40 characters of a string, each escaped at most 6 wide
      }),
      { numRuns: 300 },
    );
  });

  it("isAdError: false for a revoked Proxy or one whose traps throw", () => {
    expect(adjoint.isAdError(revoked())).toBe(false);
    expect(adjoint.isAdError(new Proxy({}, throwingTraps))).toBe(false);
    expect(adjoint.isAdError(new AdError("NonFinite", "x", { op: "t" }), "NonFinite")).toBe(true);
  });
});

// ── The escapes reported by probing (issue 13), one row each ───────────────────────────────────────

describe("each raw error the probe reported is now an AdError naming the op", () => {
  const detached = (): Float32Array => {
    const a = new Float32Array(4);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    return a;
  };
  const holes = (): unknown[] => new Array(3);
  /** An array whose element 0 is `f` at the first read and junk at every later one. */
  const functionOnce = (f: () => unknown): (() => unknown)[] => {
    let reads = 0;
    return Object.defineProperty([f], 0, { get: () => (reads++ === 0 ? f : 7) });
  };
  const claims240 = new Proxy([tensor([1, 2])], { get: (t, k, r) => (k === "length" ? 2 ** 40 : Reflect.get(t, k, r)) });
  const nestedSin = (depth: number) => new Function("x", `return ${"Math.sin(".repeat(depth)}x${")".repeat(depth)};`) as (x: number) => number;
  const ROWS: [string, string, () => unknown][] = [
    ["loadSafetensors of a Proxy of bytes", "loadSafetensors", () => nn.loadSafetensors(new Proxy(new Uint8Array(16), {}))],
    ["loadSafetensors of Object.create(Uint8Array.prototype)", "loadSafetensors", () => nn.loadSafetensors(Object.create(Uint8Array.prototype))],
    ...["$arrays", "$runtime", "$externals"].flatMap((name): [string, string, () => unknown][] => [
      [`differentiate with a constant named ${name}`, "", () => adjoint.differentiate(new Function("x", `return x * ${name}[0];`) as never, { constants: { [name]: [3, 4] } })(2)],
      [
        `differentiate with a function named ${name}`,
        "",
        () =>
          adjoint.differentiate(new Function("x", `return ${name}(x);`) as never, {
            functions: {
              [name]: adjoint.defineDerivative(
                (x: number) => 2 * x,
                () => 2,
              ),
            },
          })(2),
      ],
    ]),
    [
      "a derivative called with a Proxy of a Float64Array",
      "differentiate",
      () => adjoint.differentiate((x: number, y: number[]) => x * y[0])(2, new Proxy(new Float64Array([3]), {}) as never),
    ],
    // V8 itself cannot build a function nested much deeper; 100,000 deep as source text (what the
    // build plugin passes) is in test/transform/scale.test.ts.
    ["differentiate of Math.sin nested 1,000 deep", "differentiate", () => adjoint.differentiate(nestedSin(1000))(0.5)],
    ...(["SGD", "Adam", "AdamW", "RMSprop"] as const).map((name): [string, string, () => unknown] => [
      `new ${name} of a detached Float32Array`,
      name,
      () => new optim[name](detached() as never, { lr: 0.1 }),
    ]),
    ["clipGradNorm of a detached Float32Array", "clipGradNorm", () => optim.clipGradNorm(detached() as never, 1)],
    ["batches of an array of holes", "batches", () => nn.batches(holes() as never, { batchSize: 1 })],
    ["trainTestSplit of an array of holes", "trainTestSplit", () => nn.trainTestSplit(holes() as never)],
    ["new DataLoader of an array with holes", "DataLoader", () => new nn.DataLoader([tensor([1]), , tensor([2])] as never, { batchSize: 1 })],
    ["clipGradNorm of a Proxy claiming 2⁴⁰ elements", "clipGradNorm", () => optim.clipGradNorm(claims240 as never, 1)],
    ["a forged tensor to add", "add", () => adjoint.add(Object.create(adjoint.Tensor.prototype), tensor([1]))],
    // FC_SEED=1548619185 JUNK_RUNS=400: new Tensor(var(0), 0, var(0), throwingValueOf(NaN), [], null).
    ["new Tensor with a null device", "", () => void new adjoint.Tensor(new Float32Array(1) as never, "float32", [1], [1], 0, null as never)],
    ["new Tensor with a device whose retain is not a function", "", () => void new adjoint.Tensor(new Float32Array(1) as never, "float32", [1], [1], 0, { retain: 1 } as never)],
    // FC_SEED=587985611 JUNK_RUNS=5000 -t switchCase: [0, [var(0), lyingLengthSymbol(NaN)]].
    [
      "switchCase of branches whose length is a Symbol",
      "switchCase",
      () => adjoint.switchCase(0, new Proxy([() => 1], { get: (t, k, r) => (k === "length" ? Symbol("length") : Reflect.get(t, k, r)) })),
    ],
    [
      "switchCase of a branch that is a function when checked and junk when called",
      "",
      () =>
        adjoint.switchCase(
          0,
          functionOnce(() => 1),
        ),
    ],
    [
      "switchCase (tensor index) of a branch that is a function when checked and junk when called",
      "",
      () =>
        adjoint.switchCase(
          tensor(0, { dtype: "int32" }),
          functionOnce(() => tensor(1)),
        ),
    ],
  ];

  // An empty op: the call may also succeed (the name is renamed away, the nesting is supported).
  it.each(ROWS)("%s", (_label, op, call) => {
    let result: unknown;
    try {
      result = call();
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(AdError);
      if (op !== "") expect((e as AdError).details.op).toBe(op);
      return;
    }
    expect(op, `returned ${String(result)} where an AdError was expected`).toBe("");
  });
});
