/**
 * `--stage` on a machine without AWS: the CLI resolves the stage from SST's outputs and turns every failure a person
 * can fix into one line saying what to do (exit 1, no stack trace): no outputs, another stage's outputs, no write
 * key, no AWS credentials (the real SDK default credential chain, with nothing to find), and resources that are not
 * in the region asked (real SDK errors from the local S3 and Glue stand-ins).
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { GlueJobControl } from "@eventlake/adapters/glue-job-control";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { explainAwsFailure } from "@eventlake/local/cli/stage-target";
import { startLocalS3 } from "@eventlake/emulators/s3/server";
import { startLocalJobService } from "@eventlake/local/scheduler/local-jobs";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";
import { LOCAL_VARIABLES } from "@eventlake/local/local-config";

const CLI = join(import.meta.dirname, "../../packages/local/bin/eventlake.js");
const tmp = tempDir("stage-target");
afterAll(() => tmp.remove());

const outputs = (stage: string) => ({
  stage,
  region: "eu-west-1",
  apiUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com",
  streamName: `eventlake-${stage}-stream`,
  lakeBucket: `eventlake-${stage}-lake`,
  assetsBucket: `eventlake-${stage}-assets`,
  curationJob: `eventlake-${stage}-curation`,
  alarmNames: [`eventlake-${stage}-stream-throttling`],
});

/** The environment of a machine with no AWS credentials anywhere: no env keys, no profiles, no instance role. */
function noCredentialsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", AWS_EC2_METADATA_DISABLED: "true", AWS_SHARED_CREDENTIALS_FILE: join(tmp.dir, "none-credentials"), AWS_CONFIG_FILE: join(tmp.dir, "none-config") };
  for (const key of Object.keys(env)) {
    if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE|WEB_IDENTITY_TOKEN_FILE|ROLE_ARN|CONTAINER_CREDENTIALS_\w+|CONTAINER_AUTHORIZATION_TOKEN)$/.test(key)) delete env[key];
  }
  delete env[LOCAL_VARIABLES.writeKey];
  return env;
}

async function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: options.cwd ?? tmp.dir, env: options.env ?? noCredentialsEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function expectOneLine(run: { code: number; stdout: string; stderr: string }, command: string, message: RegExp) {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]!.startsWith(`eventlake ${command}: `)).toBe(true);
  expect(lines[0]).toMatch(message);
}

describe("--stage from SST's outputs", () => {
  it("a stage without outputs", async () => {
    const run = await cli(["smoke", "--stage", "alice", "--write-key", "wk"]);
    expectOneLine(run, "smoke", /^eventlake smoke: no outputs for stage "alice": \.sst\/outputs\.json does not exist; deploy it with `npx sst deploy --stage alice`/);
  }, 60_000);

  it("outputs of another stage (SST keeps only the last deploy's)", async () => {
    mkdirSync(join(tmp.dir, ".sst"), { recursive: true });
    writeFileSync(join(tmp.dir, ".sst", "outputs.json"), JSON.stringify(outputs("bob")));
    const run = await cli(["smoke", "--stage", "alice", "--write-key", "wk"]);
    expectOneLine(run, "smoke", /holds the outputs of stage "bob", not "alice"/);
  }, 60_000);

  it("no write key", async () => {
    const file = join(tmp.dir, "alice-outputs.json");
    writeFileSync(file, JSON.stringify(outputs("alice")));
    const run = await cli(["smoke", "--stage", "alice", "--outputs", file]);
    expectOneLine(run, "smoke", new RegExp(`no write key for stage "alice": pass --write-key <key> or set ${LOCAL_VARIABLES.writeKey}`));
  }, 60_000);

  it("no AWS credentials: the SDK's default chain finds none, nothing is sent", async () => {
    const file = join(tmp.dir, "alice-outputs.json");
    writeFileSync(file, JSON.stringify(outputs("alice")));
    const run = await cli(["smoke", "--stage", "alice", "--outputs", file, "--write-key", "wk"]);
    expectOneLine(run, "smoke", /^eventlake smoke: no AWS credentials found for stage "alice" in eu-west-1: run `aws configure` or `aws sso login`, or set AWS_PROFILE/);
  }, 60_000);
});

describe("status, verify and replay --stage", () => {
  it("the same one-line answers: another stage's outputs, no outputs, no credentials", async () => {
    const file = join(tmp.dir, "alice-outputs.json");
    writeFileSync(file, JSON.stringify(outputs("alice")));
    // Each command resolves the stage through the same code (runOnStage): one of each refusal, and no credentials for all.
    expectOneLine(await cli(["status", "--stage", "carol"]), "status", /holds the outputs of stage "bob", not "carol"/);
    expectOneLine(await cli(["verify", "--stage", "alice", "--outputs", join(tmp.dir, "missing.json")]), "verify", /no outputs for stage "alice": .*missing\.json does not exist/);
    for (const [command, ...args] of [["status"], ["verify"], ["replay", "--from", "raw"]] as [string, ...string[]][]) {
      expectOneLine(await cli([command, ...args, "--stage", "alice", "--outputs", file]), command, /no AWS credentials found for stage "alice" in eu-west-1/);
    }
  }, 120_000);
});

describe("curate --stage", () => {
  it("refuses a stage that runs the Glue job (two curators would write every event twice)", async () => {
    const file = join(tmp.dir, "alice-outputs.json");
    writeFileSync(file, JSON.stringify(outputs("alice")));
    expectOneLine(await cli(["curate", "--stage", "alice", "--outputs", file]), "curate", /stage "alice" runs the Glue job eventlake-alice-curation: a second curator would write its events again/);
  }, 60_000);
});

describe("AWS failures in one line", () => {
  it("a bucket or job that is not in the region asked (real SDK errors from the stand-ins)", async () => {
    const s3 = await startLocalS3({ rootDir: join(tmp.dir, "s3"), buckets: ["eventlake-alice-lake"] });
    const glue = await startLocalJobService({ jobs: [] });
    const store = new S3ObjectStore({ bucket: "eventlake-alice-lake-elsewhere", target: { region: "us-east-2", endpoint: s3.endpoint }, maxAttempts: 1 });
    const control = new GlueJobControl({ region: "us-east-2", endpoint: glue.endpoint });
    try {
      const listing = async () => {
        for await (const _ of store.list("raw/")) break;
      };
      const s3Error = await listing().then(() => undefined, (e: unknown) => e);
      expect(s3Error).toBeDefined();
      expect(explainAwsFailure(s3Error, { stage: "alice", region: "us-east-2", what: "reading s3://eventlake-alice-lake-elsewhere/raw/" })).toBe(
        "reading s3://eventlake-alice-lake-elsewhere/raw/: not found in us-east-2; the stage may be deployed to another region (pass --region <region>) or removed (`npx sst deploy --stage alice`)",
      );
      const glueError = await control.list("eventlake-alice-curation", 5).then(() => undefined, (e: unknown) => e);
      expect((glueError as Error).name).toBe("EntityNotFoundException");
      expect(explainAwsFailure(glueError, { stage: "alice", region: "us-east-2", what: "reading the Glue job's runs" })).toMatch(/^reading the Glue job's runs: not found in us-east-2; the stage may be deployed to another region/);
    } finally {
      store.destroy();
      control.client.destroy();
      await glue.close();
      await s3.close();
    }
  });

  it("anything else still fits on one line and names the stage", () => {
    const error = Object.assign(new Error("Rate exceeded\n  at somewhere"), { name: "ThrottlingException" });
    expect(explainAwsFailure(error, { stage: "alice", region: "eu-west-1", what: "describing the alarms" })).toBe('describing the alarms on stage "alice" in eu-west-1 failed: ThrottlingException: Rate exceeded');
  });
});
