/**
 * `sst deploy --stage prod` under Pulumi mocks, with what a production deploy must provide: the WriteKeys secret
 * (`sst secret set`) and the alarm email (EVENTLAKE_ALARM_EMAIL). Protected, data retained, provisioned stream.
 */
import { describe, expect, it } from "vitest";
import { stageConfig } from "@eventlake/core/stage-config";
import { stageSuite } from "./stage-suite";
import { DEPLOY_VARIABLES } from "@eventlake/core/deploy-variables";

const alarmEmail = "oncall@example.com";

stageSuite(
  "prod",
  { env: { [DEPLOY_VARIABLES.alarmEmail]: alarmEmail, SST_SECRET_WriteKeys: JSON.stringify({ web: "0".repeat(64) }) } },
  { alarmEmail },
);

describe('stage "prod": production invariants (docs/deploy.md "Stages"; ARCHITECTURE.md "Guarantees")', () => {
  const cfg = stageConfig("prod");
  it("is protected, keeps its data, and runs a provisioned stream with 7 days of retention", () => {
    expect(cfg.removal).toEqual({ protect: true, retainData: true });
    expect(cfg.stream.mode).toBe("provisioned");
    expect(cfg.stream.retentionHours).toBeGreaterThanOrEqual(168);
    // Reserved concurrency is opt-in at deploy time (settings.test.ts): a fixed one fails deploys on low quotas.
    expect(cfg.ingest.reservedConcurrency).toBeUndefined();
    expect(cfg.alarms.requireEmail).toBe(true);
  });
});
