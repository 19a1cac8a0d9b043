/**
 * An arena the engine cannot allocate is an `AdError` naming the bytes asked, both when the tape is
 * made and when it grows — not the engine's RangeError. Runs the built package (npm test builds
 * first) in a child `node` under `ulimit -v`, so the failure is deterministic and this process's
 * memory is never at risk.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const root = new URL("..", new URL("..", import.meta.url));
/** Room for Node itself and a few hundred MB of arena: the growth fails after touching ~400 MB at most. */
const CAP = 1_500_000;

/** Runs `body` (with Tape and attempt imported) under a virtual-memory cap of `kib` KiB; its last line is JSON. */
function underCap(kib: number, body: string): unknown {
  const script = `import { Tape } from "adjoint/scalar"; import { attempt } from "adjoint/errors"; ${body}`;
  const out = execFileSync("sh", ["-c", `ulimit -v ${kib}; exec "$0" --input-type=module -e "$1"`, process.execPath, script], { cwd: root, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").pop() as string);
}

describe.runIf(process.platform === "linux")("arena allocation failure", () => {
  it("new Tape({ capacity: 2**28 }) under a 1.5 GB cap: InvalidArgument with the bytes asked", () => {
    const r = underCap(
      CAP,
      `
      const r = attempt(() => new Tape({ capacity: 2 ** 28 }));
      console.log(JSON.stringify(r.ok ? "allocated" : { code: r.error.code, details: r.error.details }));
    `,
    );
    expect(r).toEqual({ code: "InvalidArgument", details: { op: "Tape", bytes: 2 ** 28 * 21 + 4 + 2 ** 29 * 12, capacity: 2 ** 28, edgeCapacity: 2 ** 29 } });
  });

  it("growing past the cap mid-recording: InvalidArgument; the tape kept what it recorded and still works", () => {
    const r = underCap(
      CAP,
      `
      const t = new Tape({ capacity: 2 ** 20 });
      const x = t.variable(1);
      const r = attempt(() => { for (let i = 0; i < 2 ** 27; i++) t.neg(x); });
      const size = t.size;
      t.reset();
      const y = t.variable(2);
      const g = t.backward(t.mul(y, y)).wrt(y);
      console.log(JSON.stringify(r.ok ? "allocated" : { code: r.error.code, details: r.error.details, size, g }));
    `,
    );
    expect(r).toMatchObject({ code: "InvalidArgument", details: { op: "Tape", growing: "nodes" }, g: 4 });
    const { details, size } = r as { details: { bytes: number; capacity: number }; size: number };
    expect(details.bytes).toBe(details.capacity * 21);
    expect(size).toBeGreaterThanOrEqual(2 ** 20);
  }, 30_000);
});
