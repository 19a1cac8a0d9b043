/**
 * jit under a Content-Security-Policy, in a real browser (headless chromium): a jitted chain with its
 * gradient and a jitted MLP step must give eager's results on every page, whatever code generation the
 * policy leaves it:
 * - `script-src 'self'`: neither JS nor wasm may be compiled from bytes, so the cpu backend is the
 *   default (asking for wasm is an `UnsupportedOp` naming the policy), fusion is off (one warning
 *   says so) and the program runs equation by equation;
 * - `'wasm-unsafe-eval'` without `'unsafe-eval'`: the wasm backend's kernels run, but fused groups need
 *   their JS loop (the fallback of every wasm group), so fusion is off here too, with the same warning;
 * - both allowed: fused groups, compiled to wasm where they qualify, and no warning.
 * The program text (`lower()`) says which.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { bundle, hasChromium, launch, openPage, serve, type Server } from "../support/browser.js";
import type { JitPageReport } from "./jit.page.js";

const HTML = `<!doctype html><meta charset="utf-8"><title>adjoint jit</title><script type="module" src="jit.js"></script>`;
const POLICIES = {
  strict: { "Content-Security-Policy": "script-src 'self'" },
  wasm: { "Content-Security-Policy": "script-src 'self' 'wasm-unsafe-eval'" },
  open: { "Content-Security-Policy": "script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'" },
};
const FALLBACK = /^adjoint jit: code generation is not allowed here .*fused chains run op by op$/s;

describe.runIf(hasChromium)("jit under a Content-Security-Policy in chromium", () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    const js = await bundle("test/browser/jit.page.ts");
    const routes: Record<string, { body: string; type: string; headers: Record<string, string> }> = {};
    for (const [name, headers] of Object.entries(POLICIES)) {
      routes[`/${name}/`] = { body: HTML, type: "text/html", headers };
      routes[`/${name}/jit.js`] = { body: js, type: "text/javascript", headers };
    }
    server = await serve(routes);
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function report(path: string): Promise<JitPageReport> {
    const { page, errors } = await openPage(browser, `${server.origin}${path}`);
    await page
      .waitForFunction(() => typeof (globalThis as { adjointRun?: unknown }).adjointRun === "function", undefined, { timeout: 30_000 })
      .catch((e: unknown) => {
        throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
      });
    const result = await page.evaluate(() => (globalThis as unknown as { adjointRun: () => JitPageReport }).adjointRun());
    await page.close();
    // The only errors are the browser's own reports of what the policy refused.
    expect(errors.filter((e) => !/Content Security Policy|Refused/i.test(e))).toEqual([]);
    return result;
  }

  function expectEager(r: JitPageReport): void {
    // The same kernels run eagerly and equation by equation; a fused group gives eager's bits on cpu
    // and, on wasm, its sum adds in another order (float32 rounding of a sum of 1024 terms).
    expect(r.chainErr).toBeLessThanOrEqual(1e-3);
    expect(r.stepErr).toBeLessThanOrEqual(1e-5);
  }

  it("script-src 'self': the cpu backend, the interpreter fallback with exactly one warning, eager's results", async () => {
    const r = await report("/strict/");
    expect(r.defaultBackend).toBe("cpu");
    // Asking for the wasm backend there is an AdError that names the policy, not a crash at a kernel.
    expect(r.wasmRefusal).toMatch(/^UnsupportedOp: .*'wasm-unsafe-eval'/);
    expectEager(r);
    expect(r.chainText).not.toMatch(/fused/);
    expect(r.stepText).not.toMatch(/fused/);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(FALLBACK);
  }, 120_000);

  it("'wasm-unsafe-eval' alone: the wasm backend's kernels, still no fused groups, one warning", async () => {
    const r = await report("/wasm/");
    expect(r.defaultBackend).toBe("wasm");
    expect(r.wasmRefusal).toBe("");
    expectEager(r);
    expect(r.chainText).not.toMatch(/fused/);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(FALLBACK);
  }, 120_000);

  it("'unsafe-eval' and 'wasm-unsafe-eval': fused groups compiled to wasm, no warning", async () => {
    const r = await report("/open/");
    expect(r.defaultBackend).toBe("wasm");
    expect(r.wasmRefusal).toBe("");
    expectEager(r);
    expect(r.chainText).toMatch(/fused\[ops=\([^)]*\), code=wasm\]/);
    expect(r.stepText).toMatch(/fused/);
    expect(r.warnings).toEqual([]);
  }, 120_000);
});
