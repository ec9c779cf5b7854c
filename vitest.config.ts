import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "functions/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the pool small so end-to-end tests that run servers are not starved.
    maxWorkers: 2,
    // The default output, then the files a dead worker left unfinished (Vitest does not name them).
    reporters: ["default", "./test/support/unfinished-modules-reporter.ts"],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
