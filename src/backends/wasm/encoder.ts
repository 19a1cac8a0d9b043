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
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  if(): this { return this.op(0x04, 0x40); }
  else(): this { return this.op(0x05); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { return this.op(0x0c).u(depth); }
  brIf(depth: number): this { return this.op(0x0d).u(depth); }

  // ── locals and constants ──
  get(i: number): this { return this.op(0x20).u(i); }
  set(i: number): this { return this.op(0x21).u(i); }
  tee(i: number): this { return this.op(0x22).u(i); }
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
  i32Add(): this { return this.op(0x6a); }
  i32Sub(): this { return this.op(0x6b); }
  i32Mul(): this { return this.op(0x6c); }
  i32Shl(): this { return this.op(0x74); }
  i32Eqz(): this { return this.op(0x45); }
  i32LtS(): this { return this.op(0x48); }
  i32LtU(): this { return this.op(0x49); }
  i32GeS(): this { return this.op(0x4e); }

  // ── scalar float arithmetic ──
  fAdd(type: Val.f32 | Val.f64): this { return this.op(type === Val.f32 ? 0x92 : 0xa0); }
  fMul(type: Val.f32 | Val.f64): this { return this.op(type === Val.f32 ? 0x94 : 0xa2); }

  // ── SIMD128 (prefix 0xfd) ──
  v128Load(offset = 0): this { return this.simd(0x00).u(4).u(offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).u(4).u(offset); }
  /** Loads one lane-sized float and splats it (v128.load32_splat / load64_splat). */
  loadSplat(type: Val.f32 | Val.f64, offset = 0): this {
    return type === Val.f32 ? this.simd(0x09).u(2).u(offset) : this.simd(0x0a).u(3).u(offset);
  }
  splat(type: Val.f32 | Val.f64): this { return this.simd(type === Val.f32 ? 0x13 : 0x14); }
  v128Zero(): this {
    this.simd(0x0c);
    for (let i = 0; i < 16; i++) this.code.push(0);
    return this;
  }
  vAdd(type: Val.f32 | Val.f64): this { return this.simd(type === Val.f32 ? 0xe4 : 0xf0); }
  vMul(type: Val.f32 | Val.f64): this { return this.simd(type === Val.f32 ? 0xe6 : 0xf2); }
  /** Relaxed SIMD fused (or not) multiply-add: a·b + c with a, b, c on the stack in that order. */
  vMadd(type: Val.f32 | Val.f64): this { return this.simd(type === Val.f32 ? 0x105 : 0x107); }

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
