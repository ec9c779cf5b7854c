/**
 * The --stage code path of smoke, status, verify and replay without AWS: a stage's outputs file naming the local
 * pipeline's API, stream, bucket and curation job, and the endpoint overrides the functions use locally
 * (EVENTLAKE_<SERVICE>_ENDPOINT) pointing the AWS SDK clients at the stand-ins. Everything else (outputs resolution,
 * SDK clients, the lake copied through the S3 API for verify and replay) is what runs against a deployed stage.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { LOCAL_ASSETS_BUCKET, LOCAL_CURATION_JOB } from "@eventlake/local/local-config";
import { schedulerComponent } from "@eventlake/local/scheduler/index";
import { supervisedJob } from "@eventlake/local/scheduler/local-jobs";
import type { SmokeReport } from "@eventlake/local/smoke/smoke";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";
import { targetEnv } from "@eventlake/adapters/aws-config";
import { LOCAL_VARIABLES } from "@eventlake/local/local-config";

const CLI = join(import.meta.dirname, "../../packages/local/bin/eventlake.js");
const tmp = tempDir("stage-commands");
const outputsFile = join(tmp.dir, "outputs.json");
let pipeline: LocalPipeline;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: join(tmp.dir, "pipeline"), port: 0, apiThrottling: false }, [
    rawArchiveComponent(),
    supervisedJob("curator", LOCAL_CURATION_JOB, (ctx) => curatorComponent({ windowMs: 500 }).start(ctx)),
    schedulerComponent({ only: ["watchdog"] }),
  ]);
  const { info } = pipeline;
  writeFileSync(
    outputsFile,
    JSON.stringify({ stage: "offline", region: info.region, apiUrl: info.endpoint, streamName: info.streamName, lakeBucket: info.bucket, assetsBucket: LOCAL_ASSETS_BUCKET, curationJob: LOCAL_CURATION_JOB, alarmNames: [], dashboardUrl: "" }),
  );
  env = {
    ...process.env,
    NO_COLOR: "1",
    [LOCAL_VARIABLES.writeKey]: info.writeKey,
    ...targetEnv({ S3: info.s3Endpoint, KINESIS: info.kinesisEndpoint, ...(info.glueEndpoint ? { GLUE: info.glueEndpoint } : {}) }),
  };
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

async function cli(...args: string[]) {
  try {
    // A data directory with no local pipeline in it: nothing local can answer.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, "-d", join(tmp.dir, "nothing-local"), ...args, "--stage", "offline", "--outputs", outputsFile], { env, cwd: tmp.dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("--stage commands on a stage's resources", () => {
  let smoke: SmokeReport;

  it("smoke: every event through the stage's API into raw/ and curated/ once, with the Glue job's run", async () => {
    const run = await cli("smoke", "--timeout", "90", "--json");
    expect(run.code).toBe(0);
    smoke = JSON.parse(run.stdout) as SmokeReport;
    expect(smoke.verdict).toMatchObject({ ok: true, problems: [] });
    expect(smoke.job).toMatchObject({ name: LOCAL_CURATION_JOB, latest: { state: "RUNNING" } });
    expect(smoke.alarms).toEqual([]);
  }, 120_000);

  it("status: the stream, the newest objects of raw/ and curated/, the job's state", async () => {
    const run = await cli("status");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^stage {8}offline \(us-east-1\)$/m);
    expect(run.stdout).toMatch(new RegExp(`^stream {7}${pipeline.info.streamName}: ACTIVE, \\d+ open shard\\(s\\), \\d+ h retention$`, "m"));
    expect(run.stdout).toMatch(/^raw\/ {9}newest object \d+ s ago \(raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\//m);
    expect(run.stdout).toMatch(/^curated\/ {5}newest object \d+ s ago \(curated\/events\//m);
    expect(run.stdout).toMatch(new RegExp(`^curation {5}${LOCAL_CURATION_JOB}: RUNNING$`, "m"));
  }, 60_000);

  it("verify: the stage's lake of the last hour reconciles, and the smoke events are all there once", async () => {
    const expectFile = join(tmp.dir, "expected.csv");
    writeFileSync(expectFile, `message_id,outcome\n${smoke.messageIds.map((id) => `${id},accepted`).join("\n")}\n`);
    const run = await cli("verify", "--since", "1h", "--expect", expectFile);
    expect(run.stderr).toMatch(/^copied \d+ object\(s\), [\d,]+ bytes, of stage "offline" written since /);
    expect(run.stdout).toMatch(new RegExp(`expected: accepted\\s+${smoke.messageIds.length}: 0 not in raw, 0 not curated, 0 curated twice`));
    expect(run.stdout).toContain("OK: nothing lost, nothing curated twice.");
    expect(run.code).toBe(0);

    // An event the client was answered for that never arrived is named.
    writeFileSync(expectFile, `message_id,outcome\n${smoke.messageIds[0]},accepted\nsmoke-never-sent,accepted\n`);
    const missing = await cli("verify", "--since", "1h", "--expect", expectFile);
    expect(missing.stdout).toContain("PROBLEM: 1 accepted event(s) are not in the raw archive");
    expect(missing.code).toBe(2);
  }, 60_000);

  it("replay: counts what it would re-send from the stage's raw archive", async () => {
    const run = await cli("replay", "--from", "raw", "--since", "1h", "--dry-run");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^records\s+\d+ \(\d+ events, 0 bad rows\)/m);
    const events = Number(/^records\s+\d+ \((\d+) events/m.exec(run.stdout)![1]);
    expect(events).toBeGreaterThanOrEqual(smoke.messageIds.length);
  }, 60_000);
});
