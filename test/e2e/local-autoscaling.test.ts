/**
 * Autoscaling on one machine, end to end: the local pipeline with the scheduler running the real autoscaler handler
 * (in its Lambda sandbox) on short local clocks. Load above one shard's write limit, sent over HTTP by the load
 * generator, is throttled by the local Kinesis; the sampler records it; the autoscaler reads it through the local
 * metrics adapter, calls UpdateShardCount on the local Kinesis and records the call in the local assets bucket;
 * the stream grows. Idle, it shrinks back. Notices go to the local SNS stand-in and the alert log.
 * Short periods here (2 s) stand for CloudWatch's minutes; the rules are the stage's.
 */
import { DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { autoscalerStateKey, parseAutoscalerState } from "@eventlake/core/autoscaler/state";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { LOCAL_ASSETS_BUCKET } from "@eventlake/local/local-config";
import { sendClickstream } from "@eventlake/local/loadgen/sender";
import { schedulerComponent, type InvocationRecord } from "@eventlake/local/scheduler/index";
import { autoscalerStatus, formatAutoscalerStatus } from "@eventlake/local/cli/autoscaler-status";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("autoscale");
let pipeline: LocalPipeline;
let kinesis: KinesisClient;
const invocations: InvocationRecord[] = [];

beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false, shards: 1, streamSampleIntervalMs: 500 }, [
    schedulerComponent({
      only: ["autoscaler"],
      schedules: { autoscaler: "rate(2 seconds)" },
      autoscaler: {
        metricPeriodSeconds: 2,
        metricDelaySeconds: 1,
        scaleUpCooldownSeconds: 3,
        scaleDownCooldownSeconds: 6,
        scaleUpWindowSeconds: 4,
        scaleDownWindowSeconds: 6,
      },
      onInvocation: (r) => invocations.push(r),
    }),
  ]);
  kinesis = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: pipeline.info.kinesisEndpoint }));
}, 60_000);

afterAll(async () => {
  kinesis?.destroy();
  await pipeline?.close();
  tmp.remove();
});

async function openShards(): Promise<number> {
  const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: pipeline.info.streamName }));
  return out.StreamDescriptionSummary?.OpenShardCount ?? 0;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const failures = invocations.filter((i) => !i.ok).map((i) => i.error);
  throw new Error(`timed out waiting for ${what}; autoscaler invocations: ${invocations.length}, failed: ${JSON.stringify(failures.slice(-3))}`);
}

describe("local autoscaling, end to end", () => {
  it("scales the stream up under load above one shard's limit, and back down when idle", async () => {
    expect(await openShards()).toBe(1);
    // ~660 B events at up to 5,000/s (~3+ MB/s offered, over the 1 MiB/s of one shard), until the stream grew.
    let stop = false;
    let grown = 0;
    const load = sendClickstream({
      endpoint: pipeline.info.endpoint,
      writeKey: pipeline.info.writeKey,
      events: 400_000,
      rate: 5_000,
      batchSize: 250,
      concurrency: 8,
      invalidRatio: 0,
      users: 5_000,
      seed: 7,
      gzip: false,
      maxRetries: 20,
      onProgress: () => {
        if (stop) throw new Error("load stopped");
      },
    }).catch(() => undefined);
    try {
      await waitFor("the stream to scale up", async () => (grown = await openShards()) > 1, 40_000);
    } finally {
      stop = true;
      await load;
    }
    expect(grown).toBeGreaterThan(1);

    // Idle: back down to the stage minimum (1), half at a time, after the cool-down and a quiet window.
    await waitFor("the stream to scale back down", async () => (await openShards()) === 1, 45_000);

    // The decisions were recorded durably in the assets bucket, in order: up first, down last. (The stream shows the
    // new count as soon as UpdateShardCount returned; the function records the outcome right after.)
    const store = new S3ObjectStore({ bucket: LOCAL_ASSETS_BUCKET, target: { region: "us-east-1", endpoint: pipeline.info.s3Endpoint } });
    const readState = async () => {
      const raw = await store.get(autoscalerStateKey(pipeline.info.streamName));
      return raw ? parseAutoscalerState(new TextDecoder().decode(raw), pipeline.info.streamName) : undefined;
    };
    await waitFor("the scale-down to be recorded", async () => !!(await readState())?.decisions.some((d) => d.action === "scale-down" && d.target === 1 && d.outcome === "done"), 10_000);
    const state = (await readState())!;
    store.destroy();
    const calls = state.calls.filter((c) => c.source === "autoscaler");
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls[0]).toMatchObject({ from: 1, outcome: "accepted" });
    expect(calls[0]!.to).toBeGreaterThan(1);
    expect(calls[calls.length - 1]).toMatchObject({ to: 1, outcome: "accepted" });
    for (const c of calls) {
      expect(c.to).toBeLessThanOrEqual(c.from * 2);
      expect(c.to * 2).toBeGreaterThanOrEqual(c.from);
    }
    const done = state.decisions.filter((d) => d.outcome === "done").map((d) => d.action);
    expect(done[0]).toBe("scale-up");
    expect(done[done.length - 1]).toBe("scale-down");

    // Every change was announced on the local alarm topic (alert log), and nothing failed.
    const alerts = readFileSync(join(tmp.dir, "alerts.log"), "utf8");
    expect(alerts).toMatch(/NOTICE \[eventlake local\] Scaled up: 1 -> \d shards/);
    expect(alerts).toMatch(/NOTICE \[eventlake local\] Scaled down: \d -> 1 shards/);
    expect(invocations.filter((i) => !i.ok)).toEqual([]);

    // `eventlake status` shows the calls and the last decisions.
    const status = await autoscalerStatus(tmp.dir, pipeline.info, true);
    expect(status?.callsLast24h).toBe(calls.length);
    const text = formatAutoscalerStatus(status, 50);
    expect(text).toMatch(/scale-up 1 -> \d+\s+done/);
    expect(text).toMatch(/scale-down \d+ -> 1\s+done/);
  }, 120_000);
});
