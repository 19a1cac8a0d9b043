/**
 * A small WebAssembly binary encoder: enough of the format (types, an imported memory, functions,
 * exports, the MVP + SIMD128 + relaxed-SIMD instructions our kernels use) to build kernel modules from
 * TypeScript at run time. No toolchain at install time, and the same path serves generated code later
 * (kernels specialised to a shape or fused by the jit). Instructions are appended to a `Body` as
 * bytes; structure (blocks, loops) is the caller's responsibility, and the engine validates the result.
 */

export const enum Val {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

/** Unsigned LEB128. */
export function uleb(out: number[], value: number): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of a 32-bit integer. */
export function sleb(out: number[], value: number): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/** A function body under construction: locals are declared up front (after the parameters). */
export class Body {
  readonly code: number[] = [];
  private readonly locals: Val[] = [];

  constructor(private readonly paramCount: number) {}

  /** Declares a local of type `type` and returns its index. */
  local(type: Val): number {
    this.locals.push(type);
    return this.paramCount + this.locals.length - 1;
  }

  // ── control ──
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  if(): this {
    return this.op(0x04, 0x40);
  }
  else(): this {
    return this.op(0x05);
  }
  end(): this {
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c).u(depth);
  }
  brIf(depth: number): this {
    return this.op(0x0d).u(depth);
  }

  // ── locals and constants ──
  get(i: number): this {
    return this.op(0x20).u(i);
  }
  set(i: number): this {
    return this.op(0x21).u(i);
  }
  tee(i: number): this {
    return this.op(0x22).u(i);
  }
  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v);
    return this;
  }
  f32(v: number): this {
    this.code.push(0x43, ...new Uint8Array(new Float32Array([v]).buffer));
    return this;
  }
  f64(v: number): this {
    this.code.push(0x44, ...new Uint8Array(new Float64Array([v]).buffer));
    return this;
  }

  // ── memory (memarg: log2 alignment, byte offset) ──
  load(type: Val.f32 | Val.f64 | Val.i32, offset = 0): this {
    const [opcode, align] = type === Val.f64 ? [0x2b, 3] : type === Val.f32 ? [0x2a, 2] : [0x28, 2];
    return this.op(opcode).u(align).u(offset);
  }
  store(type: Val.f32 | Val.f64 | Val.i32, offset = 0): this {
    const [opcode, align] = type === Val.f64 ? [0x39, 3] : type === Val.f32 ? [0x38, 2] : [0x36, 2];
    return this.op(opcode).u(align).u(offset);
  }

  // ── i32 arithmetic ──
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32Shl(): this {
    return this.op(0x74);
  }
  i32Eqz(): this {
    return this.op(0x45);
  }
  i32LtS(): this {
    return this.op(0x48);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32GeS(): this {
    return this.op(0x4e);
  }
  i32Or(): this {
    return this.op(0x72);
  }

  // ── scalar float arithmetic ──
  fAdd(type: Val.f32 | Val.f64): this {
    return this.op(type === Val.f32 ? 0x92 : 0xa0);
  }
  fMul(type: Val.f32 | Val.f64): this {
    return this.op(type === Val.f32 ? 0x94 : 0xa2);
  }
  fMin(type: Val.f32 | Val.f64): this {
    return this.op(type === Val.f32 ? 0x96 : 0xa4);
  }
  fMax(type: Val.f32 | Val.f64): this {
    return this.op(type === Val.f32 ? 0x97 : 0xa5);
  }
  f64PromoteF32(): this {
    return this.op(0xbb);
  }

  // ── SIMD128 (prefix 0xfd) ──
  v128Load(offset = 0): this {
    return this.simd(0x00).u(4).u(offset);
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b).u(4).u(offset);
  }
  /** Loads one lane-sized float and splats it (v128.load32_splat / load64_splat). */
  loadSplat(type: Val.f32 | Val.f64, offset = 0): this {
    return type === Val.f32 ? this.simd(0x09).u(2).u(offset) : this.simd(0x0a).u(3).u(offset);
  }
  splat(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0x13 : 0x14);
  }
  v128Zero(): this {
    return this.v128Const(new Uint8Array(16));
  }
  /** A 128-bit constant from its 16 little-endian bytes. */
  v128Const(bytes: Uint8Array): this {
    this.simd(0x0c);
    this.code.push(...bytes);
    return this;
  }
  /** Every lane `v` (f32x4 or f64x2). */
  vConst(type: Val.f32 | Val.f64, v: number): this {
    const lanes = type === Val.f32 ? new Float32Array(4).fill(v) : new Float64Array(2).fill(v);
    return this.v128Const(new Uint8Array(lanes.buffer));
  }
  /** Both i64x2 lanes `v`. */
  i64x2Const(v: bigint): this {
    return this.v128Const(new Uint8Array(new BigInt64Array(2).fill(v).buffer));
  }
  /** i8x16.shuffle: byte i of the result is byte lanes[i] of the 32-byte pair (a, b). */
  shuffle(lanes: readonly number[]): this {
    this.simd(0x0d);
    this.code.push(...lanes);
    return this;
  }
  extractLane(type: Val.f32 | Val.f64, lane: number): this {
    return this.simd(type === Val.f32 ? 0x1f : 0x21).op(lane);
  }

  // Lanewise float arithmetic: f32x4 or f64x2 by `type`. min/max propagate NaN and order −0 < +0.
  vAdd(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe4 : 0xf0);
  }
  vSub(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe5 : 0xf1);
  }
  vMul(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe6 : 0xf2);
  }
  vDiv(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe7 : 0xf3);
  }
  vMin(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe8 : 0xf4);
  }
  vMax(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe9 : 0xf5);
  }
  /** Pseudo-min/max, one instruction on x86: pmin(a, b) = b < a ? b : a, pmax(a, b) = a < b ? b : a (a when either is NaN). */
  vPmin(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xea : 0xf6);
  }
  vPmax(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xeb : 0xf7);
  }
  vAbs(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe0 : 0xec);
  }
  vNeg(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe1 : 0xed);
  }
  vSqrt(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0xe3 : 0xef);
  }
  /** Round to the nearest integer, ties to even. */
  vNearest(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0x6a : 0x94);
  }
  /** Lanewise comparison: all ones where it holds (false wherever a NaN is involved, except `ne`). */
  vCmp(type: Val.f32 | Val.f64, cmp: "eq" | "ne" | "lt" | "gt" | "le" | "ge"): this {
    return this.simd((type === Val.f32 ? 0x41 : 0x47) + ["eq", "ne", "lt", "gt", "le", "ge"].indexOf(cmp));
  }
  /** f64x2 of the two low f32 lanes, and back (the two high f32 lanes of the result are zero). */
  promoteLow(): this {
    return this.simd(0x5f);
  }
  demoteZero(): this {
    return this.simd(0x5e);
  }

  // Bitwise v128 and i64x2 (shift counts are an i32 on the stack).
  and(): this {
    return this.simd(0x4e);
  }
  andNot(): this {
    return this.simd(0x4f);
  }
  or(): this {
    return this.simd(0x50);
  }
  xor(): this {
    return this.simd(0x51);
  }
  /** (a & mask) | (b & ~mask) with a, b, mask on the stack in that order. */
  bitselect(): this {
    return this.simd(0x52);
  }
  anyTrue(): this {
    return this.simd(0x53);
  }
  i64x2Shl(): this {
    return this.simd(0xcb);
  }
  i64x2ShrS(): this {
    return this.simd(0xcc);
  }
  i64x2ShrU(): this {
    return this.simd(0xcd);
  }
  i64x2Add(): this {
    return this.simd(0xce);
  }
  i64x2Sub(): this {
    return this.simd(0xd1);
  }
  /** Relaxed SIMD fused (or not) multiply-add: a·b + c with a, b, c on the stack in that order. */
  vMadd(type: Val.f32 | Val.f64): this {
    return this.simd(type === Val.f32 ? 0x105 : 0x107);
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  private u(v: number): this {
    uleb(this.code, v);
    return this;
  }
  private simd(opcode: number): this {
    this.code.push(0xfd);
    uleb(this.code, opcode);
    return this;
  }

  /** The encoded body: locals (run-length grouped) then code then `end`. */
  encode(): number[] {
    const groups: [number, Val][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const out: number[] = [];
    uleb(out, groups.length);
    for (const [count, t] of groups) {
      uleb(out, count);
      out.push(t);
    }
    out.push(...this.code, 0x0b);
    const sized: number[] = [];
    uleb(sized, out.length);
    return [...sized, ...out];
  }
}

interface FunctionDef {
  readonly name: string;
  readonly params: readonly Val[];
  readonly results: readonly Val[];
  readonly body: Body;
}

/** A module that imports one memory (`env.memory`, shared when `shared`) and exports its functions. */
export class ModuleBuilder {
  private readonly functions: FunctionDef[] = [];

  constructor(private readonly memory: { readonly initialPages: number; readonly maximumPages: number; readonly shared: boolean }) {}

  /** Adds an exported function; fill the returned body (parameters are locals 0..n−1). */
  func(name: string, params: readonly Val[], results: readonly Val[] = []): Body {
    const body = new Body(params.length);
    this.functions.push({ name, params, results, body });
    return body;
  }

  encode(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]) => {
      out.push(id);
      uleb(out, content.length);
      out.push(...content);
    };
    const types: number[] = [];
    uleb(types, this.functions.length);
    for (const f of this.functions) {
      types.push(0x60);
      uleb(types, f.params.length);
      types.push(...f.params);
      uleb(types, f.results.length);
      types.push(...f.results);
    }
    section(1, types);
    const imports: number[] = [1];
    name(imports, "env");
    name(imports, "memory");
    imports.push(0x02, this.memory.shared ? 0x03 : 0x01);
    uleb(imports, this.memory.initialPages);
    uleb(imports, this.memory.maximumPages);
    section(2, imports);
    const funcs: number[] = [];
    uleb(funcs, this.functions.length);
    this.functions.forEach((_, i) => uleb(funcs, i));
    section(3, funcs);
    const exports: number[] = [];
    uleb(exports, this.functions.length);
    this.functions.forEach((f, i) => {
      name(exports, f.name);
      exports.push(0x00);
      uleb(exports, i);
    });
    section(7, exports);
    const code: number[] = [];
    uleb(code, this.functions.length);
    for (const f of this.functions) code.push(...f.body.encode());
    section(10, code);
    return new Uint8Array(out);
  }
}
