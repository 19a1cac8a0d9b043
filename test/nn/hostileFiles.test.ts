/**
 * Hostile safetensors files: whatever the bytes or the kind of file, loading either gives the
 * tensors the header describes or throws an AdError — never another error, never a hang, and never
 * reads or decodes more than the file's checked size. Generated headers and files (fast-check), and
 * on Linux the files a path can name that are not regular files.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, writeSync, ftruncateSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { loadFile, readSafetensors, saveSafetensors, type LoadedSafetensors } from "../../src/nn/index.js";

const scratch = mkdtempSync(join(tmpdir(), "adjoint-hostile-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const MB = 2 ** 20;

type FileDtype = "F32" | "F64" | "I32" | "BOOL" | "U8";
const BYTES: Record<FileDtype, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1, U8: 1 };
const DTYPE = { F32: "float32", F64: "float64", I32: "int32", BOOL: "bool", U8: "uint8" } as const;

/** What a valid file holds, written here per the spec (not with saveSafetensors). */
interface Spec {
  tensors: { name: string; dtype: FileDtype; shape: number[]; values: number[] }[];
  metadata: Record<string, string> | null;
  reversed: boolean;
  pad: boolean;
}

const valuesOf = (dtype: FileDtype, n: number) =>
  fc.array(
    dtype === "F32"
      ? fc.float({ noNaN: true })
      : dtype === "F64"
        ? fc.double({ noNaN: true })
        : dtype === "I32"
          ? fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
          : dtype === "BOOL"
            ? fc.integer({ min: 0, max: 1 })
            : fc.integer({ min: 0, max: 255 }),
    { minLength: n, maxLength: n },
  );
const tensorArb = fc
  .tuple(
    fc.string({ maxLength: 5 }).filter((s) => s !== "__metadata__"),
    fc.constantFrom<FileDtype>("F32", "F64", "I32", "BOOL", "U8"),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
  )
  .chain(([name, dtype, shape]) =>
    valuesOf(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ).map((values) => ({ name, dtype, shape, values })),
  );
const specArb: fc.Arbitrary<Spec> = fc.record({
  tensors: fc.uniqueArray(tensorArb, { selector: (t) => t.name, maxLength: 5 }),
  metadata: fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 6 }), { maxKeys: 3 })),
  reversed: fc.boolean(),
  pad: fc.boolean(),
});

/** Values a header field should not hold. */
const junkArb = fc.oneof(
  fc.constantFrom(
    "BF16",
    "constructor",
    "__proto__",
    "toString",
    "",
    null,
    true,
    -1,
    1.5,
    2 ** 53 + 2,
    [2 ** 31, 2 ** 31],
    [2 ** 52, 2 ** 52, 2 ** 52],
    new Array(65).fill(1),
    [2 ** 53 + 2, 2 ** 53 + 6],
    {},
  ),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 40 }), fc.constantFrom(1.5, "2", null, 2 ** 53)), { maxLength: 4 }),
);
type Mutation =
  | { kind: "duplicate"; i: number }
  | { kind: "metadataTwice" }
  | { kind: "field"; i: number; field: string; value: unknown }
  | { kind: "entry"; i: number; value: unknown }
  | { kind: "metadata"; value: unknown }
  | { kind: "shift"; i: number; at: 0 | 1; delta: number }
  | { kind: "alias" }
  | { kind: "truncate"; at: number }
  | { kind: "length"; n: bigint }
  | { kind: "append"; bytes: Uint8Array }
  | { kind: "flip"; at: number; byte: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("duplicate" as const), i: fc.nat() }),
  fc.record({ kind: fc.constant("metadataTwice" as const) }),
  fc.record({ kind: fc.constant("field" as const), i: fc.nat(), field: fc.constantFrom("dtype", "shape", "data_offsets"), value: junkArb }),
  fc.record({ kind: fc.constant("entry" as const), i: fc.nat(), value: junkArb }),
  fc.record({ kind: fc.constant("metadata" as const), value: fc.oneof(junkArb, fc.dictionary(fc.string({ maxLength: 3 }), junkArb, { maxKeys: 2 })) }),
  fc.record({ kind: fc.constant("shift" as const), i: fc.nat(), at: fc.constantFrom<0 | 1>(0, 1), delta: fc.integer({ min: -9, max: 9 }) }),
  fc.record({ kind: fc.constant("alias" as const) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("length" as const), n: fc.oneof(fc.constantFrom(2n ** 63n, 2n ** 64n - 1n, 100_000_008n), fc.bigInt({ min: 0n, max: 300n })) }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function encode(dtype: FileDtype, values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * BYTES[dtype]);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (dtype === "F32") view.setFloat32(i * 4, v, true);
    else if (dtype === "F64") view.setFloat64(i * 8, v, true);
    else if (dtype === "I32") view.setInt32(i * 4, v, true);
    else out[i] = v;
  });
  return out;
}

/** The file's bytes: header as [key, value] pairs (so a key can appear twice), mutated, then the data. */
function fileOf(spec: Spec, mutations: readonly Mutation[]): Uint8Array {
  const placed = spec.reversed ? [...spec.tensors].reverse() : spec.tensors;
  const data: Uint8Array[] = [];
  const offsets = new Map<string, [number, number]>();
  let at = 0;
  for (const t of placed) {
    const bytes = encode(t.dtype, t.values);
    offsets.set(t.name, [at, at + bytes.length]);
    data.push(bytes);
    at += bytes.length;
  }
  const pairs: [string, unknown][] = spec.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(t.name) }]);
  if (spec.metadata !== null) pairs.unshift(["__metadata__", spec.metadata]);
  const entries = () => pairs.filter(([k, v]) => k !== "__metadata__" && v !== null && typeof v === "object" && !Array.isArray(v)) as [string, Record<string, unknown>][];
  for (const m of mutations) {
    const e = entries();
    const pick = (i: number) => e[i % e.length]?.[1];
    if (m.kind === "duplicate" && pairs.length > 0) pairs.push(pairs[m.i % pairs.length]);
    else if (m.kind === "metadataTwice") pairs.push(["__metadata__", {}]);
    else if (m.kind === "field" && e.length > 0) pick(m.i)![m.field] = m.value;
    else if (m.kind === "entry" && e.length > 0) e[m.i % e.length][1] = m.value as Record<string, unknown>;
    else if (m.kind === "entry") pairs.push(["x", m.value]);
    else if (m.kind === "metadata") pairs.push(["__metadata__", m.value]);
    else if (m.kind === "shift" && e.length > 0) {
      const o = pick(m.i)!.data_offsets;
      if (Array.isArray(o)) pick(m.i)!.data_offsets = o.map((v, j) => (j === m.at ? v + m.delta : v));
    } else if (m.kind === "alias") for (const [, v] of e) v.data_offsets = e[0][1].data_offsets;
  }
  const json = `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
  const header = new TextEncoder().encode(spec.pad ? json.padEnd(Math.ceil(json.length / 8) * 8, " ") : json);
  let bytes = new Uint8Array(8 + header.length + at);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  let offset = 8 + header.length;
  for (const d of data) {
    bytes.set(d, offset);
    offset += d.length;
  }
  for (const m of mutations) {
    if (m.kind === "truncate") bytes = bytes.subarray(0, m.at % (bytes.length + 1));
    else if (m.kind === "length" && bytes.length >= 8) new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, m.n, true);
    else if (m.kind === "append") bytes = Uint8Array.from([...bytes, ...m.bytes]);
    else if (m.kind === "flip" && bytes.length > 0) bytes[m.at % bytes.length] = m.byte;
  }
  return bytes;
}

type Outcome = { ok: true; value: LoadedSafetensors } | { ok: false; error: AdError };

async function outcome(load: () => LoadedSafetensors | Promise<LoadedSafetensors>): Promise<Outcome> {
  try {
    return { ok: true, value: await load() };
  } catch (error) {
    if (error instanceof AdError) return { ok: false, error };
    throw new Error(`not an AdError: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
}

/** Comparable contents, by name (saving sorts names; an object lists integer-like keys first). */
const byName = <T extends { name: string }>(list: T[]) => list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
const plain = ({ tensors, metadata }: LoadedSafetensors) => ({
  metadata,
  tensors: byName(Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, values: Array.from(t.data(), Number) }))),
});

describe("generated headers and files load correctly or throw an AdError", () => {
  let count = 0;
  it("from bytes and from a file, with the same outcome", async () => {
    await fc.assert(
      fc.asyncProperty(specArb, fc.array(mutationArb, { maxLength: 3 }), async (spec, mutations) => {
        const bytes = fileOf(spec, mutations);
        const path = join(scratch, `case${count++}.safetensors`);
        writeFileSync(path, bytes);
        const fromBytes = await outcome(() => readSafetensors(bytes));
        const fromFile = await outcome(() => loadFile(path));
        rmSync(path);
        expect(fromFile.ok).toBe(fromBytes.ok);
        if (!fromBytes.ok || !fromFile.ok) {
          expect(mutations.length).toBeGreaterThan(0);
          return;
        }
        expect(plain(fromFile.value)).toEqual(plain(fromBytes.value));
        if (mutations.length === 0) {
          expect(plain(fromBytes.value)).toEqual({
            metadata: spec.metadata ?? {},
            tensors: byName(
              spec.tensors.map(({ name, dtype, shape, values }) => ({ name, dtype: DTYPE[dtype], shape, values: dtype === "F32" ? values.map(Math.fround) : values })),
            ),
          });
        }
        // Whatever loaded writes back and reads again unchanged.
        const again = readSafetensors(saveSafetensors(fromBytes.value.tensors, fromBytes.value.metadata));
        expect(plain(again)).toEqual(plain(fromBytes.value));
      }),
      { numRuns: 200 },
    );
  });
});

const linux = process.platform === "linux";

/** `run`'s AdError, and how much the process's resident memory grew meanwhile. */
async function refused(run: () => Promise<unknown>): Promise<{ error: AdError; grown: number }> {
  const before = process.memoryUsage().rss;
  const result = await outcome(run as () => Promise<LoadedSafetensors>);
  if (result.ok) throw new Error("expected an AdError, but it loaded");
  return { error: result.error, grown: process.memoryUsage().rss - before };
}

/** A sparse file of `size` bytes (no disk or memory behind the hole) starting with `prefix`. */
function sparse(name: string, size: number, prefix: Uint8Array): string {
  const path = join(scratch, name);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, prefix);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return path;
}

const lengthPrefix = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};

describe.runIf(linux)("loadFile reads regular files only, and only as much as they hold", () => {
  it("a symlink to /dev/zero is a character device, refused before reading", async () => {
    const path = join(scratch, "zero.safetensors");
    symlinkSync("/dev/zero", path);
    const { error, grown } = await refused(() => loadFile(path));
    expect(error.message).toContain("a character device");
    expect(error.details).toMatchObject({ op: "loadFile", path, kind: "a character device" });
    expect(grown).toBeLessThan(200 * MB);
  });

  it("a FIFO with no writer is refused, not waited on", async (ctx) => {
    const path = join(scratch, "pipe.safetensors");
    try {
      execFileSync("mkfifo", [path]);
    } catch {
      ctx.skip();
    }
    const { error } = await refused(() => loadFile(path));
    expect(error.details).toMatchObject({ op: "loadFile", path, kind: "a FIFO (named pipe)" });
  });

  it("a directory and a socket say what they are", async () => {
    const dir = join(scratch, "dir.safetensors");
    mkdirSync(dir);
    expect((await refused(() => loadFile(dir))).error.details).toMatchObject({ op: "loadFile", path: dir, kind: "a directory" });
    const socket = join(scratch, "socket.safetensors");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect((await refused(() => loadFile(socket))).error.details).toMatchObject({ op: "loadFile", path: socket, kind: "a socket" });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a 1 GB sparse file claiming a 2^63-byte header is refused from its first 8 bytes", async () => {
    const path = sparse("huge-header.safetensors", 2 ** 30, lengthPrefix(2n ** 63n));
    const { error, grown } = await refused(() => loadFile(path));
    expect(error.details).toMatchObject({ op: "loadFile", headerLength: String(2n ** 63n) });
    expect(grown).toBeLessThan(200 * MB);
  });

  it("a file over maxBytes (2 GiB unless given) is refused from its size alone", async () => {
    const header = new TextEncoder().encode('{"a":{"dtype":"U8","shape":[3221225456],"data_offsets":[0,3221225456]}}'.padEnd(72, " "));
    const path = sparse("three-gb.safetensors", 8 + 72 + 3221225456, Uint8Array.from([...lengthPrefix(72n), ...header]));
    const { error, grown } = await refused(() => loadFile(path));
    expect(error.details).toMatchObject({ op: "loadFile", path, size: 8 + 72 + 3221225456, maxBytes: 2 ** 31 });
    expect(grown).toBeLessThan(200 * MB);
    const small = join(scratch, "small.safetensors");
    writeFileSync(small, saveSafetensors({}));
    expect((await refused(() => loadFile(small, { maxBytes: 15 }))).error.details).toMatchObject({ op: "loadFile", size: 16, maxBytes: 15 });
    expect(Object.keys((await loadFile(small, { maxBytes: Infinity })).tensors)).toEqual([]);
  });
});

describe("loadFile's options", () => {
  const path = join(scratch, "options.safetensors");
  it.each([
    [{ maxbytes: 10 }, { key: "maxbytes" }],
    [{ maxBytes: 10, limit: 3 }, { key: "limit" }],
    [{ maxBytes: -1 }, { argument: "maxBytes" }],
    [{ maxBytes: 1.5 }, { argument: "maxBytes" }],
    [{ maxBytes: "1" }, { argument: "maxBytes" }],
    [{ maxBytes: NaN }, { argument: "maxBytes" }],
    [null, { argument: "options" }],
  ])("%o is refused, naming what is wrong", async (options, details) => {
    writeFileSync(path, saveSafetensors({}));
    expect((await refused(() => loadFile(path, options as never))).error.details).toMatchObject({ op: "loadFile", ...details });
  });

  it("header errors from a file name loadFile as the op", async () => {
    writeFileSync(path, new Uint8Array(5));
    expect((await refused(() => loadFile(path))).error.details.op).toBe("loadFile");
  });
});
