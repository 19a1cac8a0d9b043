/** The duplicate-key scan agrees with how the JSON was built, at any depth and whatever the strings hold. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstDuplicateKey } from "../../src/nn/jsonKeys.js";

/** JSON text of nested objects and arrays written from [key, value] pairs, so a key can repeat. */
type Node = { pairs: [string, Node][] } | { items: Node[] } | { leaf: unknown };
const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ leaf: fc.jsonValue({ maxDepth: 1 }) }),
    fc.record({ pairs: fc.array(fc.tuple(fc.string({ unit: "binary", maxLength: 4 }), tie("node")), { maxLength: 4 }) }),
    fc.record({ items: fc.array(tie("node"), { maxLength: 4 }) }),
  ),
})).node;
const text = (n: Node): string =>
  "pairs" in n ? `{${n.pairs.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(",")}}` : "items" in n ? `[${n.items.map(text).join(",")}]` : JSON.stringify(n.leaf);
const hasDuplicate = (n: Node): boolean =>
  "pairs" in n ? new Set(n.pairs.map(([k]) => k)).size < n.pairs.length || n.pairs.some(([, v]) => hasDuplicate(v)) : "items" in n ? n.items.some(hasDuplicate) : false;

describe("firstDuplicateKey", () => {
  it("finds a repeated key exactly when some object has one", () => {
    fc.assert(
      fc.property(nodeArb, (node) => {
        const json = text(node);
        JSON.parse(json);
        expect(firstDuplicateKey(json) !== undefined).toBe(hasDuplicate(node));
      }),
      { numRuns: 500 },
    );
  });

  it("reads keys decoded, with whitespace between tokens", () => {
    expect(firstDuplicateKey('{ "a" : 1 , "\\u0061" : 2 }')).toBe("a");
    expect(firstDuplicateKey('{"a": {"b": 1}, "b": [{"a": 1}, {"a": 2}]}')).toBeUndefined();
    expect(firstDuplicateKey('{"s": "\\"}\\\\", "t": {"s": 1, "s": 2}}')).toBe("s");
  });
});
