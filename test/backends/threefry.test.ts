import { describe, expect, it } from "vitest";
import { backendKernels, availableBackends } from "../../src/backends/backend.js";
import type { View } from "../../src/backends/view.js";

const pair = (words: number[]): View => ({ storage: Int32Array.from(words), dtype: "int32", shape: [2], strides: [1], offset: 0 });
const hex = (s: ArrayLike<number>): string[] => Array.from(s, (w) => (w >>> 0).toString(16).padStart(8, "0"));

// The Threefry paper's known-answer tests for threefry2x32_20, as JAX's random_test checks them.
const KNOWN: [number[], number[], string[]][] = [
  [
    [0, 0],
    [0, 0],
    ["6b200159", "99ba4efe"],
  ],
  [
    [-1, -1],
    [-1, -1],
    ["1cb996fc", "bb002be7"],
  ],
  [
    [0x13198a2e, 0x03707344],
    [0x243f6a88, 0x85a308d3 | 0],
    ["c4923a9c", "483df7a0"],
  ],
];

describe.each(availableBackends())("threefry2x32 on %s", (name) => {
  const k = backendKernels(name);
  it.each(KNOWN)("key %j counter %j → the published words", (key, counter, expected) => {
    expect(hex(k.threefry2x32(pair(key), pair(counter), [2]))).toEqual(expected);
  });

  it("broadcasts one key over many counters, each pair on its own", () => {
    const counters: View = { storage: Int32Array.from([0, 0, -1, -1]), dtype: "int32", shape: [2, 2], strides: [2, 1], offset: 0 };
    const each = [pair([0, 0]), pair([-1, -1])].map((c) => hex(k.threefry2x32(pair([0, 0]), c, [2])));
    expect(hex(k.threefry2x32(pair([0, 0]), counters, [2, 2]))).toEqual(each.flat());
    expect(each[0]).toEqual(KNOWN[0][2]);
  });
});
