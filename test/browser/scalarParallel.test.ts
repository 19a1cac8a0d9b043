/**
 * parallelGradient in a real browser (headless chromium): module Workers started from the worker
 * script (src/parallel/scalarWorker.ts, bundled as a user's bundler would and served beside the
 * page), a page that is not cross-origin isolated (nothing is shared: inputs and results are
 * posted), gradients with the bits of the page's own tape at 1, 2 and 3 workers, the module form,
 * and the failures a browser gives: a free variable, a worker that closes itself (which the browser
 * does not report: the worker says so), one that never finishes (the timeout), a worker script that
 * does not load (its `error` event); then fresh workers work again.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { bundle, hasChromium, launch, openPage, serve, type Server } from "../support/browser.js";
import type { ScalarPageReport } from "./scalarParallel.page.js";

const HTML = `<!doctype html><meta charset="utf-8"><title>adjoint parallelGradient</title><script type="module" src="page.js"></script>`;

describe.runIf(hasChromium)("parallelGradient on Workers in chromium", () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    const js = (body: string) => ({ body, type: "text/javascript" });
    server = await serve({
      "/": { body: HTML, type: "text/html" },
      "/page.js": js(await bundle("test/browser/scalarParallel.page.ts")),
      "/scalarWorker.js": js(await bundle("src/parallel/scalarWorker.ts")),
      "/twoBody.mjs": js(readFileSync("test/parallel/fixtures/twoBody.mjs", "utf8")),
    });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("gives the page's own gradients, bit for bit, and an AdError for each failure", async () => {
    const { page, errors } = await openPage(browser, `${server.origin}/`);
    await page
      .waitForFunction(() => typeof (globalThis as { adjointRun?: unknown }).adjointRun === "function", undefined, { timeout: 30_000 })
      .catch((e: unknown) => {
        throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
      });
    const r = await page.evaluate(() => (globalThis as unknown as { adjointRun: () => Promise<ScalarPageReport> }).adjointRun());
    await page.close();
    expect(r.sourceForm).toEqual([true, true, true]);
    expect(r.moduleForm).toBe(true);
    expect(r.freeVariable).toMatch(/^InvalidArgument: parallelGradient: f reads scale, which is not defined in a worker/);
    expect(r.closedWorker).toMatch(/^UnsupportedOp: parallelGradient: worker 0 died \(it closed itself\)/);
    expect(r.timedOut).toMatch(/^UnsupportedOp: parallelGradient: the workers did not finish within the timeout of 500 ms/);
    expect(r.missingScript).toMatch(/^UnsupportedOp: parallelGradient: worker 0 died/);
    expect(r.after).toBe(true);
  }, 60_000);
});
