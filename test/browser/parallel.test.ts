/**
 * `dataParallel` in a real browser (headless chromium): on a cross-origin-isolated page
 * (`Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`, from
 * localhost) two module Workers give the single-thread gradients, the same bits twice, and a worker
 * terminated mid-step fails the step with an AdError; on a page that is not isolated there is no
 * shared memory, and `dataParallel` and `share` say so with an `UnsupportedOp`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { bundle, hasChromium, ISOLATED, launch, openPage, serve, type Server } from "../support/browser.js";
import type { ParallelPageReport } from "./parallel.page.js";

const HTML = `<!doctype html><meta charset="utf-8"><title>adjoint parallel</title><script type="module" src="parallel.js"></script>`;

describe.runIf(hasChromium)("dataParallel in chromium", () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    const [page, worker] = await Promise.all([bundle("test/browser/parallel.page.ts"), bundle("src/parallel/worker.ts")]);
    const routes: Record<string, { body: string; type: string; headers: Record<string, string> }> = {};
    for (const [dir, headers] of Object.entries({ isolated: ISOLATED as Record<string, string>, plain: {} })) {
      routes[`/${dir}/`] = { body: HTML, type: "text/html", headers };
      routes[`/${dir}/parallel.js`] = { body: page, type: "text/javascript", headers };
      routes[`/${dir}/worker.js`] = { body: worker, type: "text/javascript", headers };
    }
    server = await serve(routes);
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function report(path: string): Promise<{ report: ParallelPageReport; errors: string[] }> {
    const { page, errors } = await openPage(browser, `${server.origin}${path}`);
    await page
      .waitForFunction(() => typeof (globalThis as { adjointRun?: unknown }).adjointRun === "function", undefined, { timeout: 30_000 })
      .catch((e: unknown) => {
        throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
      });
    const result = await page.evaluate(() => (globalThis as unknown as { adjointRun: () => Promise<ParallelPageReport> }).adjointRun());
    await page.close();
    return { report: result, errors };
  }

  it("cross-origin isolated: two workers agree with one thread, repeat their bits, and a terminated worker is an AdError", async () => {
    const { report: r, errors } = await report("/isolated/");
    expect(errors).toEqual([]);
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.relativeError).toBeLessThanOrEqual(1e-6);
    expect(r.bitwiseRepeatable).toBe(true);
    expect(r.death).toEqual({ code: "UnsupportedOp", op: "dataParallel" });
  }, 120_000);

  it("not isolated: dataParallel and share are UnsupportedOp saying why", async () => {
    const { report: r } = await report("/plain/");
    expect(r.crossOriginIsolated).toBe(false);
    expect(r.refused).toHaveLength(2);
    for (const e of r.refused ?? []) {
      expect(e.code).toBe("UnsupportedOp");
      expect(e.message).toMatch(/cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    }
  }, 120_000);
});
