/**
 * The autoscaler's UpdateShardCount path (core service + Kinesis, S3 and SNS adapters) against two emulators that
 * implement UpdateShardCount: kinesis-local (kinesis-mock, started as a separate process, with resharding taking
 * a second so UPDATING is observable) and this project's local Kinesis front. The state object lives in the local
 * S3 and notices go to the local SNS stand-in. There is no CloudWatch emulator: the metrics source here is a fixed
 * series (the CloudWatch adapter's own contract is tested in packages/adapters/test).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListStreamsCommand, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { KinesisStreamControl } from "@eventlake/adapters/kinesis-stream-control";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { SnsNotifier } from "@eventlake/adapters/sns-notifier";
import { runAutoscaler, type AutoscalerConfig } from "@eventlake/core/autoscaler/service";
import { autoscalerStateKey, parseAutoscalerState } from "@eventlake/core/autoscaler/state";
import type { StreamDatapoint, StreamMetricsSource } from "@eventlake/core/ports";
import { stageConfig } from "@eventlake/core/stage-config";
import { startLocalKinesis, type LocalKinesis } from "@eventlake/emulators/kinesis";
import { startLocalS3 } from "@eventlake/emulators/s3/server";
import { startLocalSns, type PublishedMessage } from "@eventlake/emulators/sns/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const REGION = "us-east-1";
const TOPIC = "arn:aws:sns:us-east-1:000000000000:alarms";
const ROOT = join(import.meta.dirname, "..", "..");
const tmp = tempDir("autoscaler-usc");
const closers: (() => Promise<void>)[] = [];
const published: PublishedMessage[] = [];
let s3Endpoint = "";
let snsEndpoint = "";
/** One kinesis-local process for the whole file (it takes seconds to start). */
let kinesisLocal = "";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startKinesisLocal(): Promise<{ endpoint: string; child: ChildProcess }> {
  const [plain, tls] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(ROOT, "node_modules", "kinesis-local", "main.js")], {
    env: {
      PATH: process.env.PATH ?? "",
      KINESIS_MOCK_CERT_PATH: join(ROOT, "node_modules", "kinesis-local", "server.json"),
      KINESIS_MOCK_PLAIN_PORT: String(plain),
      KINESIS_MOCK_TLS_PORT: String(tls),
      CREATE_STREAM_DURATION: "0ms",
      DELETE_STREAM_DURATION: "0ms",
      // Resharding takes a moment, as on AWS (minutes there): the stream shows UPDATING meanwhile.
      UPDATE_SHARD_COUNT_DURATION: "1500ms",
      SHARD_LIMIT: "40",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const endpoint = `http://127.0.0.1:${plain}`;
  const client = new KinesisClient(clientConfig({ region: REGION, endpoint }, { maxAttempts: 1 }));
  try {
    for (let i = 0; ; i++) {
      try {
        await client.send(new ListStreamsCommand({}));
        return { endpoint, child };
      } catch (err) {
        if (i > 150 || child.exitCode !== null) throw new Error(`kinesis-local did not start: ${(err as Error).message}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/** Every period of the query shows `shards` shards' worth of writes, throttled when above one shard per shard. */
function fixedLoad(shards: () => number): StreamMetricsSource {
  return {
    async read(q) {
      const out: StreamDatapoint[] = [];
      const periodMs = q.periodSeconds * 1000;
      for (let t = Math.ceil(q.startMs / periodMs) * periodMs; t + periodMs <= q.endMs; t += periodMs) {
        const bytes = shards() * 1024 * 1024 * q.periodSeconds;
        out.push({ startMs: t, periodSeconds: q.periodSeconds, incomingBytes: bytes, incomingRecords: bytes / 50_000, throttledRecords: 0 });
      }
      return out;
    },
  };
}

beforeAll(async () => {
  const s3 = await startLocalS3({ rootDir: join(tmp.dir, "s3"), host: "127.0.0.1", port: 0 });
  closers.push(() => s3.close());
  s3Endpoint = s3.endpoint;
  const store = new S3ObjectStore({ bucket: "assets", target: { region: REGION, endpoint: s3Endpoint } });
  await store.client.send(new CreateBucketCommand({ Bucket: "assets" }));
  store.destroy();
  const sns = await startLocalSns({ topicArns: [TOPIC], onPublish: (m) => published.push(m) });
  closers.push(() => sns.close());
  snsEndpoint = sns.endpoint;
  const { endpoint, child } = await startKinesisLocal();
  closers.push(async () => {
    child.kill("SIGTERM");
  });
  kinesisLocal = endpoint;
}, 60_000);

afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  tmp.remove();
});

const settings = stageConfig("dev").autoscaler;

function setup(kinesisEndpoint: string, streamName: string, load: () => number) {
  const store = new S3ObjectStore({ bucket: "assets", target: { region: REGION, endpoint: s3Endpoint } });
  const stream = new KinesisStreamControl({ target: { region: REGION, endpoint: kinesisEndpoint } });
  const notifier = new SnsNotifier(TOPIC, { target: { region: REGION, endpoint: snsEndpoint } });
  const config: AutoscalerConfig = { stage: "test", streamName, stateKey: autoscalerStateKey(streamName), settings, bounds: { minShards: 1, maxShards: 16 } };
  const deps = { metrics: fixedLoad(load), stream, store, notifier };
  const state = async () => parseAutoscalerState(new TextDecoder().decode((await store.get(config.stateKey))!), streamName);
  const destroy = () => {
    store.destroy();
    stream.destroy();
    notifier.destroy();
  };
  return { deps, config, state, destroy };
}

async function createStream(endpoint: string, name: string, shards: number) {
  const client = new KinesisClient(clientConfig({ region: REGION, endpoint }));
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitActive(client, name);
  return client;
}

async function waitActive(client: KinesisClient, name: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const s = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
    if (s?.StreamStatus === "ACTIVE") return s.OpenShardCount ?? 0;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not become ACTIVE`);
}

const emulators: { name: string; start: () => Promise<string> }[] = [
  {
    name: "kinesis-local (separate process)",
    start: async () => kinesisLocal,
  },
  {
    name: "the local Kinesis front",
    start: async () => {
      const kinesis: LocalKinesis = await startLocalKinesis({ dataDir: join(tmp.dir, "kinesis"), host: "127.0.0.1", port: 0 });
      closers.push(() => kinesis.close());
      return kinesis.endpoint;
    },
  },
];

describe.each(emulators)("autoscaler UpdateShardCount path against $name", ({ start }) => {
  let endpoint = "";
  beforeAll(async () => {
    endpoint = await start();
  }, 60_000);

  it("scales a loaded stream up (at most double), records the call before making it, and announces it", async () => {
    const name = `up-${Date.now()}`;
    const client = await createStream(endpoint, name, 2);
    let load = 5; // shards' worth on 2 shards: 250%
    const run = setup(endpoint, name, () => load);
    try {
      const first = await runAutoscaler(run.deps, run.config, Date.now());
      expect(first).toMatchObject({ outcome: "done", decision: { action: "scale-up", current: 2, target: 4 } });
      expect(first.failure).toBeUndefined();
      expect(await waitActive(client, name)).toBe(4);
      const state = await run.state();
      expect(state.calls).toEqual([expect.objectContaining({ from: 2, to: 4, source: "autoscaler", outcome: "accepted" })]);
      expect(state.decisions.at(-1)).toMatchObject({ action: "scale-up", outcome: "done" });
      expect(published.some((m) => m.subject === "[eventlake test] Scaled up: 2 -> 4 shards" && m.attributes.stream === name)).toBe(true);

      // Right after: the periods measured before the change no longer count, and the cool-down holds.
      const second = await runAutoscaler(run.deps, run.config, Date.now());
      expect(second.outcome).toBe("none");
      expect((await run.state()).calls).toHaveLength(1);

      // A shard count changed behind the autoscaler's back is recorded (it counts toward the 24 h budget).
      load = 0;
      await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 8, ScalingType: "UNIFORM_SCALING" }));
      expect(await waitActive(client, name)).toBe(8);
      const third = await runAutoscaler(run.deps, run.config, Date.now());
      expect(third.inferred).toMatchObject({ from: 4, to: 8, source: "inferred" });
      expect((await run.state()).calls.map((c) => [c.from, c.to, c.source])).toEqual([
        [2, 4, "autoscaler"],
        [4, 8, "inferred"],
      ]);
      expect(published.some((m) => m.subject === "[eventlake test] Shard count changed outside the autoscaler: 4 -> 8")).toBe(true);
    } finally {
      run.destroy();
      client.destroy();
    }
  }, 60_000);

  it("describes the stream and the account, and the emulator refuses more than double", async () => {
    const name = `busy-${Date.now()}`;
    const client = await createStream(endpoint, name, 1);
    const control = new KinesisStreamControl({ target: { region: REGION, endpoint } });
    try {
      await expect(control.updateShardCount(name, 3)).rejects.toThrow(/double|2x/i);
      expect(await control.accountShards()).toMatchObject({ shardLimit: expect.any(Number), openShards: expect.any(Number) });
      expect(await control.describe(name)).toEqual({ mode: "provisioned", status: "ACTIVE", openShards: 1 });
    } finally {
      control.destroy();
      client.destroy();
    }
  }, 60_000);
});

describe("autoscaler while kinesis-local reshards (UPDATING for 1.5 s)", () => {
  it("leaves an UPDATING stream alone; another resharding call meanwhile is refused (ResourceInUseException)", async () => {
    const endpoint = kinesisLocal;
    const name = "updating";
    const client = await createStream(endpoint, name, 2);
    const run = setup(endpoint, name, () => 5);
    try {
      await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: "UNIFORM_SCALING" }));
      const during = await runAutoscaler(run.deps, run.config, Date.now());
      expect(during).toMatchObject({ outcome: "none", decision: { action: "none", code: "not-active" } });
      // A second resharding call meanwhile is refused by the service: the adapter surfaces it as it is.
      await expect(run.deps.stream.updateShardCount(name, 4)).rejects.toMatchObject({ name: "ResourceInUseException" });
      expect(await waitActive(client, name)).toBe(3);
    } finally {
      run.destroy();
      client.destroy();
    }
  }, 60_000);
});

describe("autoscaler failure path on the local Kinesis front (its 10-per-24 h limit)", () => {
  it("reports a refused UpdateShardCount as a failure, without counting it, and notifies", async () => {
    const kinesis = await startLocalKinesis({ dataDir: join(tmp.dir, "kinesis-limit"), host: "127.0.0.1", port: 0 });
    const name = "budget";
    const client = await createStream(kinesis.endpoint, name, 1);
    // Ten calls made by someone else within the hour; the autoscaler has no record of them (fresh state).
    for (let i = 0; i < 10; i++) {
      await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: i % 2 === 0 ? 2 : 1, ScalingType: "UNIFORM_SCALING" }));
      await waitActive(client, name);
    }
    const run = setup(kinesis.endpoint, name, () => 3);
    try {
      const outcome = await runAutoscaler(run.deps, run.config, Date.now());
      expect(outcome).toMatchObject({ outcome: "failed", failure: { step: "update-shard-count" }, decision: { action: "scale-up", current: 1, target: 2 } });
      expect(outcome.failure?.error).toMatch(/LimitExceededException/);
      const state = await run.state();
      expect(state.calls).toEqual([]);
      expect(state.decisions.at(-1)).toMatchObject({ outcome: "failed", error: expect.stringMatching(/LimitExceededException/) });
      expect(published.some((m) => m.subject === "[eventlake test] Autoscaler failed: UpdateShardCount 1 -> 2" && m.attributes.stream === name)).toBe(true);
      expect(await waitActive(client, name)).toBe(1);
    } finally {
      run.destroy();
      client.destroy();
      await kinesis.close();
    }
  }, 60_000);
});
