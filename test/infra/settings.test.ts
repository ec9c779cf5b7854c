/**
 * Stage settings and the SST app's shape, without running the stacks: every defined stage is valid, deploy-time
 * requirements fail early with a clear message, and the app follows SST's rules (exact pin, no top-level imports).
 */
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STAGES, stageConfig, validateStageConfig, type StageConfig } from "@eventlake/core/stage-config";
import { PLATFORM, ROOT } from "./harness";
import { DEPLOY_VARIABLES as V } from "@eventlake/core/deploy-variables";

interface StageModule {
  resolveStage(name: string, env: Record<string, string | undefined>): { name: string; config: StageConfig; alarmEmail?: string; production: boolean };
}
const loadStageModule = async () => (await import(/* @vite-ignore */ join(ROOT, "stacks", "stage.ts"))) as StageModule;

describe("stage settings", () => {
  it.each(Object.keys(STAGES))("%s is valid", (name) => {
    expect(validateStageConfig(stageConfig(name))).toEqual([]);
  });

  it("maps production names to prod (prod, production, prod-<suffix>) and unknown (personal) stages to dev", () => {
    expect(stageConfig("production")).toBe(STAGES.prod);
    for (const name of ["prod-eu", "production-us-east", "prod-2"]) expect(stageConfig(name), name).toBe(STAGES.prod);
    for (const name of ["preprod", "product", "prodx", "dev-prod"]) expect(stageConfig(name), name).toBe(STAGES.dev);
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

  it(`requires an alarm email to deploy production, taken from ${V.alarmEmail}`, async () => {
    const { resolveStage } = await loadStageModule();
    expect(() => resolveStage("prod", {})).toThrow(V.alarmEmail);
    expect(resolveStage("prod", { [V.alarmEmail]: "ops@example.com" })).toMatchObject({ alarmEmail: "ops@example.com", production: true });
    expect(resolveStage("alice", {})).toMatchObject({ alarmEmail: undefined, production: false });
    expect(() => resolveStage("dev", { [V.alarmEmail]: "not-an-address" })).toThrow(/alarms.email/);
  });
});

describe("stage names", () => {
  it("refuses names that are not lowercase, with the name to use, before anything is declared", async () => {
    const { resolveStage } = await loadStageModule();
    expect(() => resolveStage("Prod", { [V.alarmEmail]: "ops@example.com" })).toThrow(/stage name "Prod" is not allowed.*Use "prod" \(a production stage\)/);
    expect(() => resolveStage("Alice", {})).toThrow(/Use "alice"/);
    for (const bad of ["prod_eu", "-dev", "dev-", "1dev", "", "a".repeat(41)]) expect(() => resolveStage(bad, {}), bad).toThrow(/is not allowed/);
    expect(resolveStage("prod-eu", { [V.alarmEmail]: "ops@example.com" })).toMatchObject({ production: true });
    expect(() => resolveStage("prod-eu", {})).toThrow(V.alarmEmail);
  });

  it("the SST app refuses it too (app() runs before run())", () => {
    const source = readFileSync(join(ROOT, "sst.config.ts"), "utf8");
    const app = source.slice(source.indexOf("async app(input)"), source.indexOf("async run()"));
    expect(app.indexOf("assertStageName(input.stage)")).toBeGreaterThan(-1);
    expect(app.indexOf("assertStageName(input.stage)")).toBeLessThan(app.indexOf("stageConfig(input.stage)"));
  });
});

describe("reserved concurrency: opt-in at deploy time, within the account's quota", () => {
  const email = { [V.alarmEmail]: "ops@example.com" };
  it("reserves nothing unless asked", async () => {
    const { resolveStage } = await loadStageModule();
    expect(resolveStage("prod", email).config.ingest.reservedConcurrency).toBeUndefined();
  });

  it("needs the account's quota and leaves Lambda's 100 unreserved executions", async () => {
    const { resolveStage } = await loadStageModule();
    expect(() => resolveStage("prod", { ...email, [V.ingestReservedConcurrency]: "200" })).toThrow(V.accountConcurrency);
    // A new account's quota of 10: nothing can be reserved.
    expect(() => resolveStage("prod", { ...email, [V.ingestReservedConcurrency]: "5", [V.accountConcurrency]: "10" })).toThrow(
      /leaves 5 unreserved; Lambda requires at least 100: reserve at most 0/,
    );
    expect(() =>
      resolveStage("prod", { ...email, [V.ingestReservedConcurrency]: "200", [V.accountConcurrency]: "1000", [V.accountReservedConcurrency]: "750" }),
    ).toThrow(/\(750 already reserved\) leaves 50 unreserved.*reserve at most 150/);
    expect(() => resolveStage("prod", { ...email, [V.ingestReservedConcurrency]: "two", [V.accountConcurrency]: "1000" })).toThrow(/reservedConcurrency must be an integer/);
    const ok = resolveStage("prod", { ...email, [V.ingestReservedConcurrency]: "900", [V.accountConcurrency]: "1000" });
    expect(ok.config.ingest.reservedConcurrency).toBe(900);
  });

  it("keeps the API stage within API Gateway's account quotas (burst 5,000, rate 10,000)", () => {
    const prod = stageConfig("prod");
    expect(prod.api.throttlingBurstLimit).toBeLessThanOrEqual(5_000);
    expect(validateStageConfig({ ...prod, api: { ...prod.api, throttlingBurstLimit: 10_000 } }).join("\n")).toMatch(/throttlingBurstLimit must be <= 5000/);
    expect(validateStageConfig({ ...prod, api: { ...prod.api, throttlingRateLimit: 20_000 } }).join("\n")).toMatch(/throttlingRateLimit must be <= 10000/);
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
