/**
 * The WebGPU device in a real browser: headless chromium with `--enable-unsafe-webgpu` (Chromium on
 * Linux ships WebGPU behind that flag) on a page served from http://localhost (WebGPU needs a secure
 * context, and localhost is one). With no GPU, chromium's adapter is SwiftShader, its bundled
 * software Vulkan driver, found with no further flags. The page walks the registry on the GPU against
 * the cpu, as test/webgpu/registry.test.ts does in Node, and runs two backward passes.
 *
 * It skips, saying why, only where chromium is missing or its `navigator.gpu` gives no adapter (a
 * chromium built without SwiftShader): the Node suites in test/webgpu still check the kernels there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { bundle, hasChromium, launch, openPage, serve, type Server, WEBGPU_FLAGS } from "../support/browser.js";
import { UNSUPPORTED_ON_WEBGPU } from "../webgpu/unsupported.js";
import type { WebGPUPageReport } from "./webgpu.page.js";

const HTML = `<!doctype html><meta charset="utf-8"><title>adjoint webgpu</title><script type="module" src="webgpu.js"></script>`;

describe.runIf(hasChromium)("the webgpu device in chromium (navigator.gpu)", () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    const js = await bundle("test/browser/webgpu.page.ts");
    server = await serve({ "/": { body: HTML, type: "text/html" }, "/webgpu.js": { body: js, type: "text/javascript" } });
    browser = await launch(WEBGPU_FLAGS);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("every registry primitive matches the cpu or is on the committed list; MLP and conv gradients match the cpu", async (ctx) => {
    const { page, errors } = await openPage(browser, `${server.origin}/`);
    await page
      .waitForFunction(() => typeof (globalThis as { adjointRun?: unknown }).adjointRun === "function", undefined, { timeout: 30_000 })
      .catch((e: unknown) => {
        throw new Error(`the page did not load: ${errors.join("; ") || String(e)}`);
      });
    const r = await page.evaluate(() => (globalThis as unknown as { adjointRun: () => Promise<WebGPUPageReport> }).adjointRun());
    await page.close();
    if ("missing" in r.adapter) {
      console.log(`skipped: chromium's navigator.gpu gave no adapter (${r.adapter.missing})`);
      ctx.skip();
      return;
    }
    expect(r.adapter.source).toBe("navigator.gpu");
    expect(r.errors).toEqual([]);
    expect(r.failures).toEqual([]);
    expect(r.unsupported.map(([c]) => c).sort()).toEqual([...UNSUPPORTED_ON_WEBGPU].sort());
    expect(r.checked).toBeGreaterThan(40);
    expect(errors).toEqual([]);
  }, 240_000);
});
