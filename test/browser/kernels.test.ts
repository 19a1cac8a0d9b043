/**
 * The wasm kernels and the worker pool in a real browser (headless chromium): the same module the
 * Node suites test, bundled as a user's bundler would, on three pages:
 * - cross-origin isolated: SharedArrayBuffer exists, so two threads must start and give one
 *   thread's exact bits;
 * - not isolated: no shared memory, so the kernels run on the page's thread alone;
 * - isolated under a strict Content-Security-Policy (no `unsafe-eval`, no workers): the reference
 *   kernels fall back from `new Function` to closures, the pool to one thread;
 * - under a policy that forbids compiling wasm too: the cpu backend is the default, and works.
 * Every page checks each kernel family against the cpu reference.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { bundle, hasChromium, ISOLATED, launch, openPage, serve, type Server } from "../support/browser.js";
import type { PageReport } from "./kernels.page.js";

// A relative script path: each page loads the bundle under its own headers.
const HTML = `<!doctype html><meta charset="utf-8"><title>adjoint kernels</title><script type="module" src="kernels.js"></script>`;
const NO_WASM = { "Content-Security-Policy": "script-src 'self'" };
const CSP = { "Content-Security-Policy": "script-src 'self' 'wasm-unsafe-eval'; worker-src 'none'" };

describe.runIf(hasChromium)("wasm kernels and threads in chromium", () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    const js = await bundle("test/browser/kernels.page.ts");
    const script = (headers = {}) => ({ body: js, type: "text/javascript", headers });
    const page = (headers = {}) => ({ body: HTML, type: "text/html", headers });
    server = await serve({
      "/isolated/": page(ISOLATED),
      "/isolated/kernels.js": script(ISOLATED),
      "/plain/": page(),
      "/plain/kernels.js": script(),
      "/csp/": page({ ...ISOLATED, ...CSP }),
      "/csp/kernels.js": script({ ...ISOLATED, ...CSP }),
      "/nowasm/": page(NO_WASM),
      "/nowasm/kernels.js": script(NO_WASM),
    });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function report(path: string): Promise<{ report: PageReport; errors: string[] }> {
    const { page, errors } = await openPage(browser, `${server.origin}${path}`);
    await page
      .waitForFunction(() => typeof (globalThis as { adjointRun?: unknown }).adjointRun === "function", undefined, { timeout: 30_000 })
      .catch((e: unknown) => {
        throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
      });
    const result = await page.evaluate(() => (globalThis as unknown as { adjointRun: () => Promise<PageReport> }).adjointRun());
    await page.close();
    return { report: result, errors };
  }

  function expectKernelsAgree(r: PageReport): void {
    expect(r.defaultBackend).toBe("wasm");
    expect(r.cases.map((c) => c.name)).toHaveLength(9);
    for (const c of r.cases) {
      // float32: an ulp or so per op against the reference; float64 products: summation order only.
      const tol = c.dtype === "float64" ? 1e-12 : 2e-5;
      expect(c.err, c.name).toBeLessThanOrEqual(tol * Math.max(1, c.scale));
    }
  }

  it("on a cross-origin-isolated page: every kernel family agrees with the reference, two threads start and give one thread's bits", async () => {
    const { report: r, errors } = await report("/isolated/");
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.evalAllowed).toBe(true);
    expectKernelsAgree(r);
    expect(r.workers).toBe(1);
    expect(r.threadsIdentical).toBe(true);
  }, 120_000);

  it("on a page that is not isolated: no shared memory, so one thread, and the same results", async () => {
    const { report: r, errors } = await report("/plain/");
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(false);
    expectKernelsAgree(r);
    expect(r.workers).toBe(0);
    expect(r.threadsIdentical).toBe(true);
  }, 120_000);

  it("under a strict Content-Security-Policy: no eval and no workers, still correct on one thread", async () => {
    const { report: r, errors } = await report("/csp/");
    // The only errors are the browser's own reports of what the policy refused.
    expect(errors.filter((e) => !/Content Security Policy|Refused/i.test(e))).toEqual([]);
    expectKernelsAgree(r);
    expect(r.evalAllowed).toBe(false);
    expect(r.workers).toBe(0);
    expect(r.threadsIdentical).toBe(true);
  }, 120_000);

  it("where a policy forbids compiling wasm: the cpu backend, chosen by default", async () => {
    const { report: r, errors } = await report("/nowasm/");
    expect(errors.filter((e) => !/Content Security Policy|Refused/i.test(e))).toEqual([]);
    expect(r.backends).toEqual(["cpu"]);
    expect(r.defaultBackend).toBe("cpu");
    expect(r.cases).toEqual([]);
    expect(r.threadsIdentical).toBe(true);
  }, 120_000);
});
