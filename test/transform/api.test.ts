/** The public surface: shapes, the generated source, argument checks, options, nesting. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { defineDerivative, differentiate, transformHessian } from "../../src/transform/index.js";
import { parseSource } from "../../src/transform/parse.js";
import { errorCode, thrown } from "../support/errorCode.js";

describe("shapes", () => {
  it("the gradient is always an array with one entry per argument", () => {
    expect(differentiate((x: number) => x * x)(3).gradient).toEqual([6]);
    const r = differentiate((x: number[], y: number) => x[0] * y + x[1])([2, 5], 4);
    expect(r.value).toBe(13);
    expect(r.gradient[0]).toBeInstanceOf(Float64Array);
    expect(Array.from(r.gradient[0] as Float64Array)).toEqual([4, 1]);
    expect(r.gradient[1]).toBe(2);
  });

  it("into: the gradient in arrays the caller owns, zeroed first, returned as the gradient's entries", () => {
    const df = differentiate((x: number[], y: number, w: number[]) => {
      let s = y * y;
      for (let i = 0; i < x.length; i++) s += x[i] * w[i] * y;
      return s;
    });
    const gx = new Float64Array(3).fill(99);
    const gw = new Float64Array(3).fill(-5);
    const x = [1, 2, 3];
    const w = new Float64Array([0.5, -1, 2]);
    for (let round = 0; round < 2; round++) {
      const r = df.into([gx, undefined, gw], x, 2, w);
      expect(r).toEqual(df(x, 2, w));
      expect(r.gradient[0]).toBe(gx);
      expect(r.gradient[2]).toBe(gw);
      expect(Array.from(gx)).toEqual([1, -2, 4]);
      expect(r.gradient[1]).toBe(4 + 4.5);
    }
  });

  it("into: wrong buffers are refused with an AdError saying which", () => {
    const df = differentiate((x: number[], y: number) => x[0] * y);
    const x = new Float64Array([1, 2]);
    expect(errorCode(() => df.into(new Float64Array(2) as never, x, 1))).toBe("InvalidArgument");
    expect(errorCode(() => df.into([new Float64Array(2)], x, 1))).toBe("ShapeMismatch");
    expect(errorCode(() => df.into([new Float64Array(3), 0], x, 1))).toBe("ShapeMismatch");
    expect(errorCode(() => df.into([[0, 0] as never, 0], x, 1))).toBe("InvalidArgument");
    expect(errorCode(() => df.into([x, 0], x, 1))).toBe("InvalidArgument");
    expect(errorCode(() => df.into([new Float64Array(2), 0], x))).toBe("InvalidArgument");
    const e = thrown(() => df.into([new Float32Array(2) as never, 0], x, 1));
    expect(e.message).toContain("gradient[0] must be a Float64Array of length 2");
  });

  it("number[] and Float64Array inputs give the same Float64Array gradient", () => {
    const df = differentiate((x: number[]) => x[0] * x[1] * x[2]);
    expect(df([1, 2, 3]).gradient).toEqual(df(new Float64Array([1, 2, 3])).gradient);
  });

  it("an unused parameter gets a zero gradient of its shape", () => {
    const df = differentiate((x: number, _y: number) => x * 2);
    expect(df(1, 5).gradient).toEqual([2, 0]);
  });

  it("never mutates its arguments, even when the function writes to them", () => {
    const x = [1, 2, 3];
    const df = differentiate((v: number[]) => {
      v[0] = v[0] * 10;
      return v[0] + v[1];
    });
    expect(df(x).value).toBe(12);
    expect(x).toEqual([1, 2, 3]);
  });

  it("a parameter used as an array only by a callee is found, and a number there is refused", () => {
    const df = differentiate((x: number[]) => total(x), { functions: { total: (a: number[]) => a[0] + 2 * a[1] } });
    expect(Array.from(df([1, 1]).gradient[0] as Float64Array)).toEqual([1, 2]);
    expect(errorCode(() => (df as (...a: unknown[]) => unknown)(3))).toBe("InvalidArgument");
  });

  it("transformHessian is n×n over the flattened inputs", () => {
    const h = transformHessian((x: number[], y: number) => x[0] * x[1] * y);
    const r = h([2, 3], 5);
    expect(r.value).toBe(30);
    expect(r.hessian).toEqual([
      [0, 5, 3],
      [5, 0, 2],
      [3, 2, 0],
    ]);
  });
});

describe("the generated source", () => {
  it("is readable: a header, one statement per line, *_adj names, no stack without loops", () => {
    const df = differentiate((x: number, y: number) => (x + 1) * Math.sin(x) * y);
    const lines = df.source.split("\n");
    expect(lines[0]).toMatch(/^\/\/ adjoint: reverse mode of f\(x, y\)/);
    expect(df.source).toMatch(/x_adj/);
    expect(df.source).toMatch(/Math\.cos\(x\)/);
    expect(df.source).not.toMatch(/stack/);
    for (const line of lines.filter((l) => !l.trimStart().startsWith("//") && !l.trimStart().startsWith("let "))) {
      expect(line.split(";").length, line).toBeLessThanOrEqual(2);
    }
  });

  it("saves values on a stack only in loops", () => {
    const df = differentiate((x: number[]) => {
      let p = 1;
      for (let i = 0; i < x.length; i++) p = p * x[i];
      return p;
    });
    expect(df.source).toMatch(/stack\[sp\+\+\] = /);
    expect(df.source).toMatch(/= stack\[--sp\]/);
  });

  it("keeps its stack between calls, and a call that starts inside another gets its own", () => {
    let g: ((x: number[]) => { gradient: unknown[] }) | undefined;
    // The rule runs g again while g's own forward sweep is midway through its loop.
    const twice = defineDerivative(
      (t: number) => 2 * t,
      (t: number) => {
        if (t >= 1 && g !== undefined) g([t - 1, t - 1, t - 1]);
        return 2;
      },
    );
    // s read in the body (halved each step), so the loop is not a fusable sum and its reverse uses the stack.
    const f = differentiate(
      (x: number[]) => {
        let s = 0;
        for (let i = 0; i < x.length; i++) s = s * 0.5 + twice(x[i]) * x[i];
        return s;
      },
      { functions: { twice } },
    );
    g = f as unknown as typeof g;
    expect(f.source).toMatch(/stack\[sp\+\+\] = /);
    // ∂/∂xᵢ = 4xᵢ · 0.5^(n−1−i), exact in float64.
    const expected = (x: number[]) => x.map((v, i) => 4 * v * 0.5 ** (x.length - 1 - i));
    const long = Array.from({ length: 200 }, (_, i) => i / 100);
    for (let round = 0; round < 3; round++) {
      expect(Array.from(f([3, 2, 0.5]).gradient[0] as Float64Array)).toEqual([3, 4, 2]);
      expect(Array.from(f(long).gradient[0] as Float64Array)).toEqual(expected(long));
    }
  });

  it("one adjoint per array element read: x[i] * x[i] writes x_adj[i] back once", () => {
    const df = differentiate((x: number[]) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] * x[i];
      return s;
    });
    expect(df.source.match(/x_adj\[[^\]]*\] = /g)).toHaveLength(1);
    expect(df.source).not.toMatch(/_adj = 0;/);
    expect(Array.from(df([1, -2, 3]).gradient[0] as Float64Array)).toEqual([2, -4, 6]);
  });

  it("forward mode's source is tangent code", () => {
    const df = differentiate((x: number) => Math.exp(x), { mode: "forward" });
    expect(df.source).toMatch(/x_dot/);
    expect(df.source).not.toMatch(/_adj/);
  });
});

describe("sources as they come", () => {
  it("directives, var, methods and named function expressions", () => {
    const strict = new Function("x", '"use strict";\nvar y = x * x;\nreturn y;');
    expect(differentiate(strict as never)(3).gradient).toEqual([6]);
    const obj = {
      square(x: number) {
        return x * x;
      },
    };
    expect(differentiate(obj.square)(2).gradient).toEqual([4]);
    const named = function cube(x: number) {
      return x * x * x;
    };
    const df = differentiate(named);
    expect(df(2).gradient).toEqual([12]);
    expect(df.source).toMatch(/function cube_gradient\(x\)/);
  });
});

describe("argument checks", () => {
  const df = differentiate((x: number, y: number[]) => x * y[0]) as unknown as (...a: unknown[]) => unknown;
  it.each<[string, unknown[]]>([
    ["too few", [1]],
    ["too many", [1, [1], 2]],
    ["a string", ["1", [1]]],
    ["an array of strings", [1, ["1"]]],
    ["an object", [1, { 0: 1, length: 1 }]],
  ])("%s → InvalidArgument", (_name, args) => {
    const e = thrown(() => df(...args));
    expect([e.code, e.details.op]).toEqual(["InvalidArgument", "differentiate"]);
  });

  it("a Proxy of a Float64Array, or an object dressed as one, is an InvalidArgument; a Proxy of a number[] is read", () => {
    const f = (x: number, y: number[]) => x * y[0];
    const df = differentiate(f);
    const jvp = differentiate(f, { mode: "forward" });
    const fakes = () => {
      const revoked = Proxy.revocable(new Float64Array([3]), {});
      revoked.revoke();
      return [
        new Proxy(new Float64Array([3]), {}),
        Object.create(Float64Array.prototype),
        Object.setPrototypeOf(new DataView(new ArrayBuffer(8)), Float64Array.prototype),
        revoked.proxy,
      ];
    };
    for (const y of fakes()) {
      for (const run of [() => df(2, y), () => df.into([0, new Float64Array(1)], 2, y), () => df.into([0, y], 2, [3]), () => jvp([2, y], [1, [1]]), () => jvp([2, [3]], [1, y])]) {
        const e = thrown(run);
        expect([e.code, e.details.op]).toEqual(["InvalidArgument", "differentiate"]);
      }
      expect(thrown(() => differentiate((x: number) => x * w[0], { constants: { w: y } })).code).toBe("InvalidArgument");
    }
    const r = df(2, new Proxy([3], {}));
    expect([r.value, r.gradient[0], Array.from(r.gradient[1] as Float64Array)]).toEqual([6, 3, [2]]);
  });

  it("forward mode checks the tangents' shapes", () => {
    const jvp = differentiate((x: number[]) => x[0], { mode: "forward" }) as unknown as (a: unknown, t: unknown) => unknown;
    expect(errorCode(() => jvp([[1, 2]], [[1]]))).toBe("ShapeMismatch");
    expect(errorCode(() => jvp([[1, 2]], [1]))).toBe("ShapeMismatch");
    expect(errorCode(() => jvp([[1, 2]], []))).toBe("ShapeMismatch");
    expect(errorCode(() => jvp(1, [1]))).toBe("InvalidArgument");
  });

  it("options are checked", () => {
    expect(errorCode(() => differentiate((x: number) => x, { mode: "sideways" as never }))).toBe("InvalidArgument");
    expect(errorCode(() => differentiate((x: number) => x, { constants: { k: "2" as never } }))).toBe("InvalidArgument");
    expect(errorCode(() => differentiate((x: number) => x, { constants: { "not a name": 1 } }))).toBe("InvalidArgument");
    expect(errorCode(() => differentiate((x: number) => x, 3 as never))).toBe("InvalidArgument");
    expect(errorCode(() => differentiate("x => x" as never))).toBe("InvalidArgument");
  });
});

describe("calls", () => {
  it("defineDerivative: its rule is used, and a bad rule result is an InvalidArgument", () => {
    let calls = 0;
    const f = defineDerivative(
      (t: number) => t * t,
      (t: number) => {
        calls++;
        return [100 * t];
      },
    );
    expect(f(3)).toBe(9);
    const df = differentiate((x: number) => f(x) + x, { functions: { f } });
    expect(df(2)).toEqual({ value: 6, gradient: [201] });
    expect(calls).toBe(1);
    const jvp = differentiate((x: number) => f(x) + x, { functions: { f }, mode: "forward" });
    expect(jvp([2], [1]).tangent).toBe(201);
    const bad = defineDerivative(
      (t: number) => t,
      () => "no" as never,
    );
    const e = thrown(() => differentiate((x: number) => bad(x), { functions: { bad } })(1));
    expect([e.code, e.details.op]).toEqual(["InvalidArgument", "defineDerivative"]);
    expect(errorCode(() => defineDerivative((t: number) => t, 3 as never))).toBe("InvalidArgument");
  });

  it("defineDerivative with two arguments returns one partial per argument", () => {
    const mul = defineDerivative(
      (a: number, b: number) => a * b,
      (a: number, b: number) => [b, a],
    );
    expect(differentiate((x: number, y: number) => mul(x, y) * 2, { functions: { mul } })(3, 4).gradient).toEqual([8, 6]);
  });

  it("a differentiated function called from another is inlined, with its own constants", () => {
    const g = differentiate((t: number) => c * t * t, { constants: { c: 3 } });
    const df = differentiate((x: number) => (g as unknown as (t: number) => number)(x) + c * x, { functions: { g }, constants: { c: 10 } });
    expect(df(2)).toEqual({ value: 32, gradient: [22] });
  });

  it("arrays from options.constants are read-only data without a gradient, also in loops and second order", () => {
    const f = (x: number[]) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += W[i] * x[i] * x[i];
      return s;
    };
    const options = { constants: { W: [1, 2, 3] } };
    expect(Array.from(differentiate(f, options)([1, 1, 1]).gradient[0] as Float64Array)).toEqual([2, 4, 6]);
    expect(transformHessian(f, options)([1, 1, 1]).hessian).toEqual([
      [2, 0, 0],
      [0, 4, 0],
      [0, 0, 6],
    ]);
    expect(differentiate(f, { ...options, mode: "forward" })([[1, 1, 1]], [[1, 0, 1]]).tangent).toBe(8);
  });

  it("forward over reverse: differentiate(df, { mode: 'forward' }) is the Hessian-vector product", () => {
    const f = (x: number, y: number) => x * x * y + Math.sin(y);
    const ddf = differentiate(differentiate(f), { mode: "forward" });
    const r = ddf([2, 3], [1, 0]);
    expect(r.value).toEqual([12, 4 + Math.cos(3)]);
    expect(r.tangent).toEqual([6, 4]);
    expect(transformHessian(f)(2, 3).hessian[0]).toEqual([6, 4]);
  });

  it("second order through a defineDerivative function: its rule's code is differentiated", () => {
    const soft = defineDerivative(
      (t: number) => Math.log1p(Math.exp(t)),
      (t: number) => 1 / (1 + Math.exp(-t)),
    );
    const f = (x: number, y: number) => soft(x * y) * x;
    const sig = (t: number) => 1 / (1 + Math.exp(-t));
    const [x, y] = [0.7, -1.3];
    const u = x * y;
    const s1 = sig(u);
    const s2 = s1 * (1 - s1);
    // f = s(xy)·x: f_xx = s''·y²·x + 2·s'·y, f_xy = s''·x²·y + 2·s'·x, f_yy = s''·x³.
    const want = [
      [s2 * y * y * x + 2 * s1 * y, s2 * x * x * y + 2 * s1 * x],
      [s2 * x * x * y + 2 * s1 * x, s2 * x * x * x],
    ];
    const h = transformHessian(f, { functions: { soft } })(x, y).hessian;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(h[i][j]).toBeCloseTo(want[i][j], 12);
    const hv = differentiate(differentiate(f, { functions: { soft } }), { mode: "forward" })([x, y], [1, 0]).tangent;
    expect(hv[0]).toBeCloseTo(want[0][0], 12);
    expect(hv[1]).toBeCloseTo(want[1][0], 12);
  });

  it("the Hessian of a gradient made by differentiate is its function's Hessian", () => {
    const f = (x: number, y: number) => x * x * y + Math.sin(y);
    expect(transformHessian(differentiate(f) as never)(2, 3)).toEqual(transformHessian(f)(2, 3));
  });
});

declare const c: number;
declare function total(a: number[]): number;
declare const W: number[];
declare const w: number[];
declare function g(x: number): number;

describe("what differentiate trusts", () => {
  // Code that runs after adjoint is imported may patch built-ins; the source differentiated and the
  // compiler of the generated code are the ones captured at import.
  const f = (x: number) => x * 3;
  const patched = <T extends object, K extends keyof T>(owner: T, key: K, value: unknown, run: () => unknown): unknown => {
    const original = owner[key];
    let result: unknown;
    try {
      owner[key] = value as T[K];
      result = run();
    } catch (e) {
      result = e;
    } finally {
      owner[key] = original;
    }
    return result;
  };

  it("Function.prototype.toString patched after import: the function's own source is differentiated", () => {
    expect(
      patched(
        Function.prototype,
        "toString",
        () => "(x) => x * 300",
        () => differentiate(f)(2),
      ),
    ).toEqual({ value: 6, gradient: [3] });
  });

  it("Function.prototype.call patched after import to answer for toString: the source is still the function's", () => {
    const toString = Function.prototype.toString;
    const call = function (this: (...a: unknown[]) => unknown, self: unknown, ...args: unknown[]) {
      return this === toString ? "(x) => x * 300" : Reflect.apply(this, self, args);
    };
    expect(patched(Function.prototype, "call", call, () => differentiate(f)(2))).toEqual({ value: 6, gradient: [3] });
  });

  it("WeakMap.prototype.get patched after import: no other source is slipped in", () => {
    const spoof = parseSource("(x) => x * 300");
    const get = WeakMap.prototype.get;
    const lookup = function (this: WeakMap<object, unknown>, key: object) {
      return typeof key === "function" ? spoof : get.call(this, key);
    };
    expect(patched(WeakMap.prototype, "get", lookup, () => differentiate(f)(2))).toEqual({ value: 6, gradient: [3] });
  });

  it("the global Function replaced after import: the generated code is still compiled by the real one", () => {
    const fake = () => {
      throw new Error("a spoofed compiler");
    };
    expect(patched(globalThis, "Function", fake, () => differentiate(f)(2))).toEqual({ value: 6, gradient: [3] });
  });
});

describe("junk arguments", () => {
  const f = (x: number[], y: number) => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * y;
    return s;
  };
  const df = differentiate(f);
  const jvp = differentiate(f, { mode: "forward" });
  const h = transformHessian(f);
  const hvp = differentiate(df, { mode: "forward" });
  const lying = (length: unknown) => new Proxy([1, 2], { get: (t, k) => (k === "length" ? length : Reflect.get(t, k)) });
  // Special values by index, made inside the property, so that a counterexample still prints.
  const revoked = () => {
    const r = Proxy.revocable(new Float64Array(2), {});
    r.revoke();
    return r.proxy;
  };
  const special = () => [
    lying(Symbol("n")),
    lying(-1),
    lying(2 ** 60),
    lying("2"),
    new Float32Array(2),
    [1, "x"],
    new Proxy(new Float64Array(2), {}),
    revoked(),
    Object.create(Float64Array.prototype),
  ];
  const junk = fc.oneof(
    fc.anything(),
    fc.nat(special().length - 1).map((k) => ({ special: k })),
  );
  const made = (v: unknown) => (v !== null && typeof v === "object" && "special" in v && Object.keys(v).length === 1 ? special()[(v as { special: number }).special] : v);
  const onlyAdErrors = (run: () => unknown) => {
    try {
      run();
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(AdError);
    }
  };

  it("options that are junk, revoked Proxies or throwing getters give an AdError, at any depth", () => {
    const throwing = () =>
      Object.defineProperty({}, "k", {
        enumerable: true,
        get: () => {
          throw new Error("a getter");
        },
      });
    const odd = () => [
      revoked(),
      throwing(),
      { mode: revoked() },
      { constants: revoked() },
      { functions: revoked() },
      { constants: throwing() },
      { constants: { k: revoked() } },
      {
        constants: {
          k: new Proxy([1], {
            get: () => {
              throw new Error("a trap");
            },
          }),
        },
      },
      Object.defineProperty({}, "mode", {
        get: () => {
          throw new Error("mode");
        },
      }),
    ];
    const options = fc.oneof(
      fc.anything(),
      fc.record({ constants: fc.anything(), functions: fc.anything() }),
      fc.nat(odd().length - 1).map((k) => ({ odd: k })),
    );
    const made = (v: unknown) => (v !== null && typeof v === "object" && "odd" in v && Object.keys(v).length === 1 ? odd()[(v as { odd: number }).odd] : v);
    const g = (x: number) => x * 2;
    fc.assert(
      fc.property(options, (raw) => {
        onlyAdErrors(() => differentiate(g, made(raw) as never)(1));
        onlyAdErrors(() => transformHessian(g, made(raw) as never)(1));
      }),
      { numRuns: Number(process.env.JUNK_RUNS ?? 300) },
    );
  });

  it("a Proxy of a function, revoked or with traps that forge what differentiate and defineDerivative made, gives an AdError", () => {
    const revokedFn = () => {
      const r = Proxy.revocable((x: number) => x, {});
      r.revoke();
      return r.proxy;
    };
    // Whatever property is read, these answer with something shaped like the transform's own marks.
    const forged = [
      new Proxy((x: number) => x, { get: () => ({ fn: 3, derivative: "reverse" }) }),
      new Proxy((x: number) => x, { get: () => ({ fn: (x: number) => x, rule: 3 }) }),
    ];
    for (const fn of [revokedFn(), ...forged]) {
      onlyAdErrors(() => differentiate(fn)(1));
      onlyAdErrors(() => differentiate(fn, { mode: "forward" })([1], [1]));
      onlyAdErrors(() => transformHessian(fn)(1));
      onlyAdErrors(() => differentiate((x: number) => g(x), { functions: { g: fn } })(1));
      expect(errorCode(() => differentiate((x: number) => g(x), { functions: { g: fn } })(1))).toBe("UnsupportedOp");
    }
  });

  it("every entry point returns or throws an AdError", () => {
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 3 }), junk, (rawArgs, rawOther) => {
        const args = rawArgs.map(made);
        const other = made(rawOther);
        onlyAdErrors(() => df(...(args as [number])));
        onlyAdErrors(() => df.into(other as never, ...(args as [number])));
        onlyAdErrors(() => jvp(args as never, other as never));
        onlyAdErrors(() => hvp(args as never, other as never));
        onlyAdErrors(() => jvp(other as never, args as never));
        onlyAdErrors(() => h(...(args as [number])));
      }),
      { numRuns: Number(process.env.JUNK_RUNS ?? 300) },
    );
  });
});
