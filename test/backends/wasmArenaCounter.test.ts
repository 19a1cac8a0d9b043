/**
 * The wasm runtime's count of bytes copied into its memory (src/backends/wasm/resident.ts) is read
 * and written by every driver on the hot path. It is held in a float slot, not in a plain field: a
 * field starting as a small integer changes representation once the count passes 2³⁰ bytes, which
 * deoptimised the drivers that add to it in long training runs (issues 16, 20).
 */
import { describe, expect, it } from "vitest";
import { Arena } from "../../src/backends/wasm/resident.js";

describe("Arena.copied", () => {
  it("stays exact past 2³¹ bytes", () => {
    const arena = new Arena();
    arena.copied = 2 ** 31 - 8;
    arena.copied += 24;
    arena.copied += 2 ** 32;
    expect(arena.copied).toBe(2 ** 31 + 16 + 2 ** 32);
  });

  it("is not an own field of the arena, whose representation could change as it grows", () => {
    const arena = new Arena();
    arena.copied += 1;
    expect(Object.getOwnPropertyNames(arena)).not.toContain("copied");
    expect(arena.copied).toBe(1);
  });
});
