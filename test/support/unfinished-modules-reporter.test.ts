/**
 * The suite's reporter names the file whose worker died: Vitest itself only says "Worker exited unexpectedly".
 * Runs a nested Vitest on two fixture files, one of which SIGKILLs its own worker.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("unfinished-modules reporter", () => {
  it("names the file a dead worker left unfinished, and its tests without a result", () => {
    const run = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "--config", "test/fixtures/worker-crash/vitest.config.ts"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 60_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.status, output).toBe(1);
    expect(output).toContain("Worker exited unexpectedly");
    const report = output.slice(output.indexOf("Test files that did not finish (1):"));
    expect(report, output).toMatch(/^Test files that did not finish \(1\):\n {2}dies\.fixture\.ts: \d of 3 tests reported\n/);
    expect(report).toContain("    not reported: kills its own worker\n");
    expect(report).toContain("    not reported: never runs\n");
    // The neighbour that finished is not listed.
    expect(report).not.toContain("survives.fixture.ts");
  });
});
