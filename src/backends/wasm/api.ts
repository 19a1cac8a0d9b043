/**
 * The slice of the WebAssembly JS API the backend uses, typed here because our compile target's
 * libraries (ES2022 + Node) do not declare it; at run time it is the engine's global `WebAssembly`
 * (absent in some sandboxes, in which case `wasm` is undefined and the backend is unavailable).
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

export const wasm: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
