/**
 * safetensors: the bytes we write are parsed here from the spec (not with our loader); files built
 * here by hand load; round trips keep dtypes, shapes and values; malformed files are AdErrors.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Linear, loadFile, loadSafetensors, readSafetensors, saveFile, saveSafetensors, Sequential, BatchNorm1d } from "../../src/nn/index.js";
import { randn, tensor } from "../../src/tensor/creation.js";
import { rng } from "../../src/tensor/rng.js";
import { thrown } from "../support/errorCode.js";

/** The spec, independently: u64 LE header length, JSON header, then the byte buffer. */
function parse(bytes: Uint8Array): {
  n: number;
  header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__?: Record<string, string> };
  data: Uint8Array;
} {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  return { n, header: JSON.parse(text), data: bytes.subarray(8 + n) };
}

/** A file by hand: header object, then the data buffer as given. */
function build(header: object, data: Uint8Array, pad = true): Uint8Array {
  let json = new TextEncoder().encode(JSON.stringify(header));
  if (pad) {
    const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("saveSafetensors writes the spec's layout", () => {
  const tensors = {
    w: tensor([
      [1.5, -2],
      [3, 0.25],
    ]),
    b: tensor([1e-300, -7], { dtype: "float64" }),
    idx: tensor([-1, 2, 2147483647], { dtype: "int32" }),
    mask: tensor([true, false, true]),
  };
  const bytes = saveSafetensors(tensors, { format: "pt", note: "ünïcode" });
  const { n, header, data } = parse(bytes);

  it("header: length is a multiple of 8, padded with spaces, dtypes/shapes/offsets per tensor, metadata", () => {
    expect(n % 8).toBe(0);
    expect(bytes[8 + n - 1] === 0x20 || bytes[8 + n - 1] === 0x7d).toBe(true);
    expect(header.__metadata__).toEqual({ format: "pt", note: "ünïcode" });
    expect(header.w).toEqual({ dtype: "F32", shape: [2, 2], data_offsets: expect.any(Array) });
    expect(header.b.dtype).toBe("F64");
    expect(header.idx.dtype).toBe("I32");
    expect(header.mask).toMatchObject({ dtype: "BOOL", shape: [3] });
    // Contiguous, covering the whole buffer.
    const spans = Object.entries(header)
      .filter(([k]) => k !== "__metadata__")
      .map(([, v]) => (v as { data_offsets: [number, number] }).data_offsets)
      .sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [s, e] of spans) {
      expect(s).toBe(at);
      at = e;
    }
    expect(at).toBe(data.length);
  });

  it("data: little-endian values at their offsets", () => {
    const view = (name: keyof typeof tensors) => {
      const [s, e] = header[name].data_offsets;
      return new DataView(data.buffer, data.byteOffset + s, e - s);
    };
    const w = view("w");
    expect([0, 1, 2, 3].map((i) => w.getFloat32(i * 4, true))).toEqual([1.5, -2, 3, 0.25]);
    const b = view("b");
    expect([b.getFloat64(0, true), b.getFloat64(8, true)]).toEqual([1e-300, -7]);
    const idx = view("idx");
    expect([0, 1, 2].map((i) => idx.getInt32(i * 4, true))).toEqual([-1, 2, 2147483647]);
    const [s, e] = header.mask.data_offsets;
    expect(Array.from(data.subarray(s, e))).toEqual([1, 0, 1]);
  });

  it("round trip keeps names, dtypes, shapes, values and metadata", () => {
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: "pt", note: "ünïcode" });
    for (const [name, t] of Object.entries(tensors)) {
      expect(back.tensors[name].dtype).toBe(t.dtype);
      expect(back.tensors[name].shape).toEqual(t.shape);
      expect(back.tensors[name].toArray()).toEqual(t.toArray());
    }
    expect(Object.keys(loadSafetensors(saveSafetensors({}))).length).toBe(0);
  });
});

describe("loadSafetensors reads files written by others", () => {
  it("an unpadded header, U8 data, a scalar and an empty tensor", () => {
    const data = new Uint8Array(4 + 3);
    new DataView(data.buffer).setFloat32(0, 2.5, true);
    data.set([7, 0, 255], 4);
    const bytes = build(
      { s: { dtype: "F32", shape: [], data_offsets: [0, 4] }, u: { dtype: "U8", shape: [3], data_offsets: [4, 7] }, e: { dtype: "F64", shape: [0, 2], data_offsets: [7, 7] } },
      data,
      false,
    );
    const t = loadSafetensors(bytes);
    expect(t.s.item()).toBe(2.5);
    expect(t.u.dtype).toBe("uint8");
    expect(Array.from(t.u.data())).toEqual([7, 0, 255]);
    expect(t.e.shape).toEqual([0, 2]);
  });

  it("a tensor named __proto__ stays a tensor", () => {
    const data = new Uint8Array(4);
    const t = loadSafetensors(build(JSON.parse('{"__proto__": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}'), data));
    expect(Object.keys(t)).toEqual(["__proto__"]);
  });
});

describe("malformed files are AdErrors", () => {
  const good = saveSafetensors({ a: tensor([1, 2, 3]), b: tensor([4]) });
  const header = (h: object, data = new Uint8Array(16)) => build(h, data);
  const cases: [string, () => Uint8Array][] = [
    ["shorter than 8 bytes", () => good.subarray(0, 5)],
    ["truncated in the header", () => good.subarray(0, 20)],
    ["truncated in the data", () => good.subarray(0, good.length - 2)],
    ["trailing bytes", () => new Uint8Array([...good, 0, 0, 0, 0])],
    [
      "header length larger than the file",
      () => {
        const b = good.slice();
        new DataView(b.buffer).setBigUint64(0, 2n ** 60n, true);
        return b;
      },
    ],
    ["not JSON", () => build({}, new Uint8Array()).map((v, i) => (i === 8 ? 0x41 : v))],
    [
      "a JSON array",
      () => {
        const json = new TextEncoder().encode("[1, 2]  ");
        const b = new Uint8Array(8 + json.length);
        new DataView(b.buffer).setBigUint64(0, BigInt(json.length), true);
        b.set(json, 8);
        return b;
      },
    ],
    ["offsets beyond the data", () => header({ a: { dtype: "F32", shape: [4], data_offsets: [8, 24] } })],
    ["offsets reversed", () => header({ a: { dtype: "F32", shape: [0], data_offsets: [8, 4] } })],
    ["offsets that disagree with the shape", () => header({ a: { dtype: "F32", shape: [3], data_offsets: [0, 16] } })],
    ["overlapping tensors", () => header({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] }, b: { dtype: "F32", shape: [2], data_offsets: [8, 16] } })],
    ["a gap", () => header({ a: { dtype: "F32", shape: [2], data_offsets: [8, 16] } })],
    ["an unknown dtype", () => header({ a: { dtype: "BF16", shape: [8], data_offsets: [0, 16] } })],
    ["a bad shape", () => header({ a: { dtype: "F32", shape: [-4], data_offsets: [0, 16] } })],
    ["non-string metadata", () => header({ __metadata__: { n: 1 }, a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } })],
  ];
  it.each(cases)("%s", (_what, make) => {
    const e = thrown(() => loadSafetensors(make()));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details.op).toBe("loadSafetensors");
  });

  it("saving refuses non-tensors, __metadata__ as a name and non-string metadata", () => {
    expect(thrown(() => saveSafetensors({ a: [1, 2] as never })).code).toBe("InvalidArgument");
    expect(thrown(() => saveSafetensors({ __metadata__: tensor([1]) })).code).toBe("InvalidArgument");
    expect(thrown(() => saveSafetensors({ a: tensor([1]) }, { n: 1 as never })).code).toBe("InvalidArgument");
  });
});

/** A file from raw header text (duplicate keys survive), padded with spaces, then `data`. */
function buildText(json: string, data = new Uint8Array()): Uint8Array {
  const text = json.padEnd(Math.ceil(json.length / 8) * 8, " ");
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(new TextEncoder().encode(text), 8);
  out.set(data, 8 + text.length);
  return out;
}

describe("the whole header is checked before anything is decoded", () => {
  it("64 entries over the same 4 MB are refused without decoding them (memory stays flat)", () => {
    const n = 2 ** 20;
    const header: Record<string, object> = {};
    for (let i = 0; i < 64; i++) header[`t${i}`] = { dtype: "F32", shape: [n], data_offsets: [0, 4 * n] };
    const bytes = build(header, new Uint8Array(4 * n));
    for (const read of [loadSafetensors, readSafetensors]) {
      const before = process.memoryUsage().rss;
      const e = thrown(() => read(bytes));
      const grown = process.memoryUsage().rss - before;
      expect(e.message).toContain("contiguous");
      // Decoding each entry would hold 64 × 4 MB = 256 MB at once.
      expect(grown).toBeLessThan(200 * 2 ** 20);
    }
  });

  it.each([
    ["a product past the element limit", [2 ** 31, 2 ** 31], [0, 16]],
    ["a product that loses precision", [2 ** 52, 2 ** 52, 2 ** 52], [0, 16]],
    ["more than 64 axes", new Array(65).fill(1), [0, 4]],
    ["a fractional axis", [1.5], [0, 4]],
    ["a string axis", ["1"], [0, 4]],
    ["unsafe offsets", [1], [2 ** 53 + 2, 2 ** 53 + 6]],
    ["three offsets", [1], [0, 4, 8]],
    ["string offsets", [1], ["0", "4"]],
  ])("%s", (_what, shape, offsets) => {
    const e = thrown(() => loadSafetensors(build({ a: { dtype: "F32", shape, data_offsets: offsets } }, new Uint8Array(16))));
    expect(e).toMatchObject({ code: "InvalidArgument", details: { op: "loadSafetensors", name: "a" } });
  });

  it("an empty tensor may sit at the start of another's span, listed after it", () => {
    const t = loadSafetensors(
      build(
        { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "I32", shape: [1], data_offsets: [4, 8] }, c: { dtype: "F64", shape: [0], data_offsets: [4, 4] } },
        new Uint8Array(8),
      ),
    );
    expect(Object.keys(t)).toEqual(["a", "b", "c"]);
    expect(t.c.shape).toEqual([0]);
  });

  it("errors name the op the caller used", () => {
    expect(thrown(() => readSafetensors(new Uint8Array(3))).details.op).toBe("readSafetensors");
  });
});

describe("ambiguous headers are refused", () => {
  const entry = '{"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}';
  it.each([
    ["a tensor twice", `{"a": ${entry}, "a": ${entry}}`, "a"],
    ["__metadata__ twice", `{"__metadata__": {"x": "1"}, "a": ${entry}, "__metadata__": {"x": "2"}}`, "__metadata__"],
    ["a key twice inside an entry", '{"a": {"dtype": "I32", "dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}', "dtype"],
    ["a key twice inside __metadata__", `{"__metadata__": {"x": "1", "x": "2"}, "a": ${entry}}`, "x"],
    ["the same key spelled with an escape", `{"a": ${entry}, "\u0061": ${entry}}`, "a"],
  ])("%s", (_what, json, key) => {
    const e = thrown(() => loadSafetensors(buildText(json, new Uint8Array(4))));
    expect(e).toMatchObject({ code: "InvalidArgument", details: { op: "loadSafetensors", key } });
  });

  it("equal keys in different objects, and brackets, quotes and commas inside strings, are not duplicates", () => {
    const strings = { a: 'x\\", "a": {[', dtype: "}" };
    const json = `{"__metadata__": ${JSON.stringify(strings)}, "a": ${entry}, "b": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}}`;
    const { tensors, metadata } = readSafetensors(buildText(json, new Uint8Array(4)));
    expect(Object.keys(tensors)).toEqual(["a", "b"]);
    expect(metadata).toEqual(strings);
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])("dtype %s is not a dtype", (dtype) => {
    const e = thrown(() => loadSafetensors(build({ a: { dtype, shape: [0], data_offsets: [0, 0] } }, new Uint8Array())));
    expect(e.message).toContain(`dtype "${dtype}"`);
    expect(e.details).toMatchObject({ name: "a", dtype: JSON.stringify(dtype) });
  });

  it("metadata values are strings only, at any depth", () => {
    const e = thrown(() => loadSafetensors(build({ __metadata__: { nested: { a: "b" } } }, new Uint8Array())));
    expect(e.details).toMatchObject({ op: "loadSafetensors", key: "nested" });
  });
});

describe("the bytes argument", () => {
  const good = saveSafetensors({ a: tensor([1, 2]) });
  it.each([
    ["a Proxy of a Uint8Array", () => new Proxy(good, {})],
    ["an object made from Uint8Array.prototype", () => Object.create(Uint8Array.prototype)],
    ["a Float32Array", () => new Float32Array(4)],
    ["an array of bytes", () => Array.from(good)],
  ])("%s is refused, saying what it got", (_what, make) => {
    const e = thrown(() => loadSafetensors(make() as never));
    expect(e).toMatchObject({ code: "InvalidArgument", details: { op: "loadSafetensors", argument: "bytes" } });
  });

  it("a Buffer, a view into a larger buffer and an ArrayBuffer load", () => {
    const padded = new Uint8Array(good.length + 6);
    padded.set(good, 3);
    for (const bytes of [Buffer.from(good), padded.subarray(3, 3 + good.length), good.slice().buffer]) expect(Array.from(loadSafetensors(bytes).a.data())).toEqual([1, 2]);
  });

  it("a detached buffer is an AdError", () => {
    const bytes = good.slice();
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    expect(thrown(() => loadSafetensors(bytes)).code).toBe("InvalidArgument");
    expect(thrown(() => loadSafetensors(bytes.buffer)).code).toBe("InvalidArgument");
  });
});

describe("state dicts through files", () => {
  it("saveFile/loadFile round-trip a model, loaded into a fresh one with loadStateDict", async () => {
    const dir = mkdtempSync(join(tmpdir(), "adjoint-nn-"));
    try {
      const make = (seed: number) => new Sequential(new Linear(3, 4, { rng: rng(seed) }), new BatchNorm1d(4));
      const a = make(1);
      a.forward(randn([5, 3], { rng: rng(2) })); // moves the running stats
      const path = join(dir, "model.safetensors");
      await saveFile(path, a.stateDict(), { epoch: "3" });
      expect(parse(new Uint8Array(readFileSync(path))).header["0.weight"].shape).toEqual([4, 3]);
      const { tensors, metadata } = await loadFile(path);
      expect(metadata).toEqual({ epoch: "3" });
      const b = make(9);
      b.loadStateDict(tensors);
      const x = randn([2, 3], { rng: rng(3) });
      expect(b.eval().forward(x).toArray()).toEqual(a.eval().forward(x).toArray());
      await expect(loadFile(join(dir, "missing.safetensors"))).rejects.toMatchObject({ name: "AdError", code: "InvalidArgument", details: { op: "loadFile", cause: "ENOENT" } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
