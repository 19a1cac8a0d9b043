import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Property tests run many cases; keep the default timeout generous but finite.
    testTimeout: 30_000,
    // FC_SEED (set by .ci/run) makes the property tests reproducible.
    setupFiles: ["test/support/setup.ts"],
  },
});
