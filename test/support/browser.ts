/**
 * Running code in a real browser from a test: Debian's chromium (headless, driven by playwright-core),
 * pages served from http://localhost by a throwaway server, scripts bundled from our TypeScript
 * sources by esbuild the way a user's bundler would (Node-only imports stay external: our code
 * imports them only behind a Node check).
 *
 * The suites skip where no chromium is installed; `.ci/run` installs it, so CI runs them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { createServer, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";

export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(chromiumPath);

/** The headers that make a page cross-origin isolated, the condition for SharedArrayBuffer (threads). */
export const ISOLATED: OutgoingHttpHeaders = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

/** `entry` and everything it imports as one ES module. */
export async function bundle(entry: string): Promise<string> {
  const result = await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "browser", target: "es2022", external: ["node:*"], write: false, logLevel: "silent" });
  return result.outputFiles[0].text;
}

export interface Route {
  readonly body: string | Uint8Array;
  readonly type: string;
  readonly headers?: OutgoingHttpHeaders;
}

export interface Server {
  readonly origin: string;
  close(): Promise<void>;
}

/** Serves `routes` (path → file) on 127.0.0.1 at a free port; /favicon.ico is empty, other paths are 404. */
export async function serve(routes: Readonly<Record<string, Route>>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = routes[path];
    if (route === undefined && path === "/favicon.ico") {
      res.writeHead(204).end(); // asked for by every page; a 404 would be a console error
      return;
    }
    if (route === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": route.type, "Cache-Control": "no-store", ...route.headers }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Every file under `dir` as a route ("/" for index.html), each with `headers`. */
export function directoryRoutes(dir: string, headers: OutgoingHttpHeaders = {}): Record<string, Route> {
  const routes: Record<string, Route> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const route = { body: readFileSync(path), type: TYPES[extname(name)] ?? "application/octet-stream", headers };
        const url = `/${relative(dir, path).split("\\").join("/")}`;
        routes[url] = route;
        if (name === "index.html") routes[url.slice(0, -"index.html".length)] = route;
      }
    }
  };
  walk(dir);
  return routes;
}

/**
 * Chromium on Linux ships WebGPU behind this flag; with no GPU its adapter is SwiftShader, the
 * software Vulkan driver it bundles, found with no further flags.
 */
export const WEBGPU_FLAGS: readonly string[] = ["--enable-unsafe-webgpu"];

/** A headless chromium; `extraArgs` e.g. `--enable-unsafe-webgpu`. */
export function launch(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-background-networking", ...extraArgs] });
}

/** A new page whose uncaught errors and console errors are collected into `errors`. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(url);
  return { page, errors };
}
