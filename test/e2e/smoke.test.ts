/**
 * `eventlake smoke` against the local pipeline, through the CLI binary and the same code path as on a stage (the API
 * over HTTP, the lake through the S3 API, the curation job's runs through the Glue API of the local job service, the
 * alarms' states): it passes when every event reaches raw/ and curated/ once, and fails with exit 2 and a message
 * naming the missing events when curation does not run, or when the API refuses the events.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { promisify } from "node:util";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { localAlarmsComponent } from "@eventlake/local/alarms/index";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { rawArchiveComponent } from "@eventlake/local/firehose/index";
import { LOCAL_CURATION_JOB } from "@eventlake/local/local-config";
import { schedulerComponent } from "@eventlake/local/scheduler/index";
import { supervisedJob } from "@eventlake/local/scheduler/local-jobs";
import { SMOKE_ROUTES } from "@eventlake/core/smoke/plan";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";
import { targetEnv } from "@eventlake/adapters/aws-config";
import { LAKE_BUCKET, STREAM_NAME } from "@eventlake/core/functions/variables";
import { LOCAL_VARIABLES } from "@eventlake/local/local-config";

const CLI = join(import.meta.dirname, "../../packages/local/bin/eventlake.js");
/** Events of one run: one per single-event route the API serves, plus the batch. */
const eventsOf = (batchSize: number) => SMOKE_ROUTES.filter((r) => r.body === "single").length + batchSize;

async function smoke(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, "-d", dataDir, "smoke", ...args], { env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("eventlake smoke on the whole local pipeline", () => {
  const tmp = tempDir("smoke");
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [
      rawArchiveComponent(),
      supervisedJob("curator", LOCAL_CURATION_JOB, (ctx) => curatorComponent({ windowMs: 500 }).start(ctx)),
      schedulerComponent({ only: ["watchdog"] }),
      localAlarmsComponent({ intervalMs: 500, periodSeconds: 2 }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await pipeline?.close();
    tmp.remove();
  });

  it("finds every event once in raw/ and curated/, with the job's run and the alarms", async () => {
    expect(pipeline.info.glueEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const run = await smoke(tmp.dir, "--timeout", "90", "--batch-size", "5");
    const n = eventsOf(5);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(run.stdout).toMatch(new RegExp(`^api\\s+${n}/${n} accepted`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^raw/\\s+${n}/${n} found\\s+\\d+\\.\\d s$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^curated/\\s+${n}/${n} found\\s+\\d+\\.\\d s$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^curation job  ${LOCAL_CURATION_JOB}: RUNNING \\(run jr_`, "m"));
    expect(run.stdout).toMatch(/^alarms {8}(none in ALARM|\d+ in ALARM) of \d+/m);
    expect(run.stdout).toContain(`OK: all ${n} events accepted, in raw/ and curated exactly once.`);
    expect(run.code).toBe(0);
  }, 120_000);

  it("fails with exit 2 when the API refuses the events (a wrong write key), without waiting", async () => {
    const run = await smoke(tmp.dir, "--write-key", "wk_wrong", "--timeout", "90");
    const n = eventsOf(10);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`PROBLEM: the API did not accept ${n} of ${n} event\\(s\\): smoke-\\S+ \\(/v1/track HTTP 401`));
    expect(run.stdout).toContain("SMOKE FAILED");
  }, 60_000);
});

describe("eventlake smoke when curation does not run", () => {
  const tmp = tempDir("smoke-no-curator");
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false }, [rawArchiveComponent()]);
  }, 60_000);
  afterAll(async () => {
    await pipeline?.close();
    tmp.remove();
  });

  it("exits 2 naming the events missing from curated/ after the timeout", async () => {
    const run = await smoke(tmp.dir, "--timeout", "20", "--batch-size", "1");
    const n = eventsOf(1);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(new RegExp(`^raw/\\s+${n}/${n} found`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^curated/\\s+0/${n} found\\s+not reached$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`PROBLEM: ${n} of ${n} event\\(s\\) missing from curated/: smoke-\\d{14}-\\d{6}-0000, `));
    expect(run.stdout).toContain("curation job  the local curator does not run as a job in this pipeline");
    expect(run.stdout).toContain("SMOKE FAILED");
  }, 90_000);

  it("passes once `eventlake curate` (what `sst dev` runs) curates the pipeline's stream into its lake", async () => {
    const curate = spawn(process.execPath, [CLI, "-d", tmp.dir, "curate", "--stage", "alice"], {
      env: {
        ...process.env,
        // What the dev command's environment holds on a stage (stacks/dev-curation.ts), pointed at the stand-ins.
        [STREAM_NAME.name]: pipeline.info.streamName,
        [LAKE_BUCKET.name]: pipeline.info.bucket,
        AWS_REGION: pipeline.info.region,
        ...targetEnv({ KINESIS: pipeline.info.kinesisEndpoint, S3: pipeline.info.s3Endpoint }),
        [LOCAL_VARIABLES.curatorWindowMs]: "500",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    curate.stdout.on("data", (c: Buffer) => (output += c.toString()));
    curate.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const exited = once(curate, "exit");
    try {
      const run = await smoke(tmp.dir, "--timeout", "60", "--batch-size", "1");
      expect(output).toContain(`curator: ${pipeline.info.streamName} -> s3://${pipeline.info.bucket}/curated/ (stage "alice", ${pipeline.info.region})`);
      expect(run.stdout).toMatch(new RegExp(`^curated/\\s+${eventsOf(1)}/${eventsOf(1)} found\\s+\\d+\\.\\d s$`, "m"));
      expect(run.stdout).toContain(`OK: all ${eventsOf(1)} events accepted, in raw/ and curated exactly once.`);
      expect(run.code).toBe(0);
    } finally {
      curate.kill("SIGTERM");
    }
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output).toContain("curator: stopped; it resumes from its checkpoint next time.");
  }, 120_000);

  it("says in one line what to do when there is no pipeline", async () => {
    const empty = tempDir("smoke-empty");
    try {
      const run = await smoke(empty.dir);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(`eventlake smoke: no local pipeline in ${empty.dir}: start one with \`npm start\`, or pass --stage <name> for a deployed stage`);
    } finally {
      empty.remove();
    }
  }, 30_000);
});
