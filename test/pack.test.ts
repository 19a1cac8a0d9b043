/**
 * The package as npm ships it: `npm pack` (scripts off: `npm test` has built dist/ already, and the
 * `prepare` script would rebuild it), the tarball unpacked as an install would lay it out, and every
 * subpath of its `exports` imported by node from a scratch project that depends on it. The tarball's
 * own dependencies come from this repository's node_modules (a symlink: no registry is reached).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = resolve(__dirname, "..");
const scratch = mkdtempSync(join(tmpdir(), "adjoint-pack-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Exports = Record<string, { types: string; default: string }>;

it("npm pack gives a package whose every export exists and imports in a scratch project", { timeout: 120_000 }, () => {
  expect(existsSync(join(root, "dist/src/index.js")), "dist/ is missing: run `npm run build` first (npm test does)").toBe(true);
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], { cwd: root, encoding: "utf8" })) as {
    filename: string;
    files: { path: string }[];
  }[];
  const tarball = join(scratch, packed[0].filename);
  // Only the built library ships: no sources, tests or demo.
  expect(packed[0].files.map((f) => f.path).filter((p) => !p.startsWith("dist/src/") && !["package.json", "README.md", "LICENSE"].includes(p))).toEqual([]);

  const project = join(scratch, "project");
  const installed = join(project, "node_modules", "adjoint");
  mkdirSync(installed, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", installed, "--strip-components=1"]);
  symlinkSync(join(root, "node_modules"), join(installed, "node_modules"), "dir");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", type: "module", dependencies: { adjoint: `file:${tarball}` } }));

  const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { exports: Exports };
  const subpaths = Object.keys(pkg.exports);
  expect(subpaths.length).toBeGreaterThan(5);
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    expect(existsSync(join(installed, target.default)), `${subpath} → ${target.default}`).toBe(true);
    expect(existsSync(join(installed, target.types)), `${subpath} → ${target.types}`).toBe(true);
  }
  const specifiers = subpaths.map((s) => s.replace(/^\./, "adjoint"));
  // A worker's entry script (a subpath so bundlers can serve it) must import cleanly but may export nothing.
  const script = `for (const s of ${JSON.stringify(specifiers)}) { const m = await import(s); if (Object.keys(m).length === 0 && !/worker$/i.test(s)) throw new Error(s + " exports nothing"); }
const { tensor, grad, sum, mul } = await import("adjoint");
console.log(JSON.stringify(grad((x) => sum(mul(x, x)))(tensor([1, 2])).toArray()));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: project, encoding: "utf8" });
  expect(JSON.parse(out.trim())).toEqual([2, 4]);
});

it("a git-URL install builds dist/: the prepare script (run by npm after installing a git dependency) runs the build", () => {
  const { scripts } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(scripts.prepare).toBe("npm run build --silent");
  expect(scripts.build).toMatch(/^tsc -p tsconfig\.build\.json$/);
});
