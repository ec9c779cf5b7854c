/**
 * `sst dev --stage alice` (a personal stage) under Pulumi mocks: the curated layer is written by the local curator,
 * run by an SST dev command on the developer's machine against the stage's stream and lake, so the stage has no Glue
 * job, no deploy-time starter and no watchdog (nothing billed around the clock, nothing to keep running), and no
 * alarm on a job that is not there. Everything else is deployed as on `sst deploy`. `sst dev` on a production stage
 * is refused.
 */
import { alarmCatalog, alarmName, alarmResources } from "@eventlake/core/alarms/catalog";
import { resolveStageOutputs } from "@eventlake/core/stage-outputs";
import { beforeAll, describe, expect, it } from "vitest";
import { curationRunsLocally, DEV_CURATOR_COMMAND } from "@eventlake/core/dev-mode";
import { runStage, type Scenario } from "./harness";
import { RESOURCE_TYPES as T } from "./resource-types";
import { DEPLOY_VARIABLES } from "@eventlake/core/deploy-variables";
import { LAKE_BUCKET, STAGE, STREAM_NAME } from "@eventlake/core/functions/variables";

let s: Scenario;
beforeAll(async () => {
  s = await runStage("alice", { dev: true, env: { [DEPLOY_VARIABLES.alarmEmail]: undefined, SST_SECRET_WriteKeys: undefined } });
}, 120_000);

describe("sst dev on a personal stage", () => {
  it("runs the curator as a dev command against the stage's stream and lake", () => {
    const commands = s.components.filter((c) => c.type === "sst:sst:DevCommand");
    expect(commands.map((c) => c.name)).toEqual(["Curator"]);
    const args = commands[0]!.args as { dev: Record<string, unknown>; environment: Record<string, string> };
    expect(args.dev).toEqual({ command: `${DEV_CURATOR_COMMAND} --stage alice`, autostart: true, title: "curator" });
    expect(args.environment).toEqual({
      [STAGE.name]: "alice",
      [STREAM_NAME.name]: s.one(T.stream, "Events").state.name,
      [LAKE_BUCKET.name]: s.one(T.bucket, "Lake").state.bucket,
      AWS_REGION: "us-east-1",
    });
  });

  it("creates no Glue job, no starter, no watchdog", () => {
    expect(s.ofType(T.glueJob)).toEqual([]);
    expect(s.ofType(T.invocation)).toEqual([]);
    const functions = s.ofType(T.fn).map((f) => f.name);
    expect(functions.filter((name) => /CurationStarter|Watchdog/.test(name))).toEqual([]);
    // The rest of the pipeline is there: the API's function, the Firehose transform, the scheduled ones.
    for (const name of ["Ingest", "RawTransform", "Compactor", "Autoscaler"]) expect(functions.some((f) => f.startsWith(name)), name).toBe(true);
    expect(s.ofType(T.stream)).toHaveLength(1);
  });

  it("alarms on nothing that is not deployed, and its outputs say there is no Glue job", () => {
    const names = (s.outputs.alarmNames as string[]).sort();
    expect(names).toEqual(s.ofType("aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name).sort());
    const onJob = alarmCatalog("alice").filter((def) => alarmResources(def).includes("glueJob")).map((def) => alarmName("eventlake", "alice", def));
    expect(onJob.length).toBeGreaterThan(0);
    for (const name of onJob) expect(names).not.toContain(name);
    expect(names.some((n) => n.includes("watchdog") || n.includes("glue-starter"))).toBe(false);
    const resolved = resolveStageOutputs("alice", JSON.stringify(s.outputs));
    expect(resolved.ok && resolved.resources.curationJob).toBeUndefined();
  });
});

describe("sst dev on a production stage", () => {
  it("is refused with what to do instead", () => {
    for (const name of ["prod", "production"]) {
      expect(() => curationRunsLocally({ name, production: true }, true)).toThrow(new RegExp(`^\`sst dev\` on the production stage "${name}" .* use a personal stage \\(\`npx sst dev --stage <your-name>\`\\)$`));
      expect(curationRunsLocally({ name, production: true }, false)).toBe(false);
    }
    expect(curationRunsLocally({ name: "alice", production: false }, true)).toBe(true);
  });
});
