/**
 * Stage settings and the SST app's shape, without running the stacks: every defined stage is valid, deploy-time
 * requirements fail early with a clear message, and the app follows SST's rules (exact pin, no top-level imports).
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STAGES, stageConfig, validateStageConfig, type StageConfig } from "@eventlake/core/stage-config";
import { PLATFORM, ROOT } from "./harness";

interface StageModule {
  resolveStage(name: string, env: Record<string, string | undefined>): { name: string; config: StageConfig; alarmEmail?: string; production: boolean };
}
const loadStageModule = async () => (await import(/* @vite-ignore */ join(ROOT, "stacks", "stage.ts"))) as StageModule;

describe("stage settings", () => {
  it.each(Object.keys(STAGES))("%s is valid", (name) => {
    expect(validateStageConfig(stageConfig(name))).toEqual([]);
  });

  it("maps production aliases to prod and unknown (personal) stages to dev", () => {
    expect(stageConfig("production")).toBe(STAGES.prod);
    expect(stageConfig("alice")).toBe(STAGES.dev);
    expect(stageConfig("local")).toBe(STAGES.local);
  });

  it("rejects settings AWS would reject mid-deploy", () => {
    const dev = stageConfig("dev");
    const problems = validateStageConfig({
      ...dev,
      stream: { ...dev.stream, retentionHours: 12, kmsKeyId: "alias/mine" },
      api: { ...dev.api, throttlingBurstLimit: 0 },
      ingest: { ...dev.ingest, timeoutSeconds: 30, reservedConcurrency: 0 },
    });
    expect(problems.join("\n")).toMatch(/retentionHours/);
    expect(problems.join("\n")).toMatch(/kmsKeyId/);
    expect(problems.join("\n")).toMatch(/throttling/);
    expect(problems.join("\n")).toMatch(/timeoutSeconds/);
    expect(problems.join("\n")).toMatch(/reservedConcurrency/);
  });

  it("requires an alarm email to deploy production, taken from EVENTLAKE_ALARM_EMAIL", async () => {
    const { resolveStage } = await loadStageModule();
    expect(() => resolveStage("prod", {})).toThrow(/EVENTLAKE_ALARM_EMAIL/);
    expect(resolveStage("prod", { EVENTLAKE_ALARM_EMAIL: "ops@example.com" })).toMatchObject({ alarmEmail: "ops@example.com", production: true });
    expect(resolveStage("alice", {})).toMatchObject({ alarmEmail: undefined, production: false });
    expect(() => resolveStage("dev", { EVENTLAKE_ALARM_EMAIL: "not-an-address" })).toThrow(/alarms.email/);
  });
});

describe("SST app", () => {
  it("pins sst exactly, matching the installed platform", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies.sst).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync(join(PLATFORM, "version"), "utf8").trim()).toBe(pkg.devDependencies.sst);
  });

  it("has no top-level imports in sst.config.ts and references the platform types", () => {
    const source = readFileSync(join(ROOT, "sst.config.ts"), "utf8");
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).toMatch(/^\/\/\/ <reference path="\.\/\.sst\/platform\/config\.d\.ts" \/>$/m);
    expect(source).not.toMatch(/export\s+(const|function)\s+(stacks|config)\b/);
  });

  it("has the types SST would generate for linked resources", () => {
    expect(existsSync(join(ROOT, "sst-env.d.ts"))).toBe(true);
    expect(readFileSync(join(ROOT, "sst-env.d.ts"), "utf8")).toMatch(/"WriteKeys": \{\s*"type": "sst\.sst\.Secret"\s*"value": string/);
  });
});
