/**
 * The Glue job script itself (glue/eventlake_job.py) on real Spark against the local pipeline: events go in over
 * HTTP, the job (local Spark, the `awsglue` stand-in, the stream as a file source, hadoop-aws on the local S3) curates
 * them into the lake bucket through its state protocol, manifests and publication. Every valid event on the stream
 * must be in `events` exactly once and every bad row in `quarantine` once: after normal operation (with whole
 * requests resent), and after a kill -9 of the Spark process in the middle of a batch (its manifest written, Spark's
 * commit not), followed by a restart that replays the batch from the checkpoint.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { clientConfig } from "@eventlake/adapters/aws-config";
import type { LocalInfo } from "@eventlake/local";
import { queryLocalLake } from "@eventlake/local/cli/query";
import { publishSparkJobPlan, spawnSparkJob, SPARK_JOB_PREFIXES, type SparkJobProcess } from "@eventlake/local/curator/spark-job";
import { LOCAL_ASSETS_BUCKET } from "@eventlake/local/local-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { sparkReady, sparkSkipNote } from "../helpers/spark-env";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("e2e-spark-job");
const output: string[] = [];
let pipeline: LocalPipeline | undefined;
let job: SparkJobProcess | undefined;

afterAll(async () => {
  if (job && job.child.exitCode === null && job.child.signalCode === null) {
    job.child.kill("SIGTERM");
    await job.exited;
  }
  await pipeline?.close();
  tmp.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startJob(info: LocalInfo) {
  job = spawnSparkJob({ ...info, dataDir: tmp.dir, windowSeconds: 1, onLine: (line) => output.push(line) });
  return job;
}

type Request = { batch: Record<string, unknown>[] };

/** One request of `count` events with known messageIds; every 10th has no identity (a bad row at ingest). */
function makeRequest(phase: string, count: number): Request {
  return {
    batch: Array.from({ length: count }, (_, i) => {
      const invalid = i % 10 === 3;
      return {
        type: i % 2 ? "track" : "page",
        ...(i % 2 ? { event: "Item Clicked" } : { name: "Home" }),
        ...(invalid ? {} : { userId: `user-${i % 7}` }),
        messageId: `${invalid ? "bad" : "ok"}-${phase}-${i}`,
        timestamp: new Date(Date.now() - i * 1000).toISOString(),
        properties: { i, phase, text: "naïve café ✓ 😀" },
      };
    }),
  };
}

async function send(info: LocalInfo, request: Request) {
  const headers = { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${info.writeKey}:`).toString("base64")}` };
  const response = await fetch(`${info.endpoint}/v1/batch`, { method: "POST", headers, body: JSON.stringify(request) });
  await response.arrayBuffer();
  expect([200, 207]).toContain(response.status);
}

/** The stream's user records (the ground truth): messageIds of valid events and of bad rows. */
async function streamTruth(info: LocalInfo) {
  const client = new KinesisClient(clientConfig({ region: info.region, endpoint: info.kinesisEndpoint }));
  try {
    const records = (await readWholeStream(client, info.streamName)).map((r) => JSON.parse(r.data.toString("utf8")) as { kind: string; messageId?: string });
    return {
      valid: new Set(records.filter((r) => r.kind === "event").map((r) => r.messageId!)),
      badIds: records.filter((r) => r.kind === "bad_row").map((r) => r.messageId!),
    };
  } finally {
    client.destroy();
  }
}

async function lakeCounts() {
  try {
    const events = await queryLocalLake(tmp.dir, "SELECT message_id, count(*) AS n FROM events GROUP BY 1");
    const quarantine = await queryLocalLake(tmp.dir, "SELECT message_id, reason, stage FROM quarantine");
    return { events: new Map(events.rows.map(([id, n]) => [id as string, Number(n)])), quarantine: quarantine.rows };
  } catch {
    return { events: new Map<string, number>(), quarantine: [] as unknown[][] }; // no table files yet
  }
}

/** Waits until every valid event of the stream is in the lake (the job caught up), then checks exactly-once. */
async function expectExactlyOnce(info: LocalInfo, timeoutMs = 400_000) {
  const truth = await streamTruth(info);
  const deadline = Date.now() + timeoutMs;
  let lake = await lakeCounts();
  while ([...truth.valid].some((id) => !lake.events.has(id)) || lake.quarantine.length < truth.badIds.length) {
    if (Date.now() > deadline || job?.child.exitCode !== null) {
      throw new Error(`the Spark job did not curate the stream (${lake.events.size}/${truth.valid.size} events); its output:\n${output.slice(-60).join("\n")}`);
    }
    await sleep(500);
    lake = await lakeCounts();
  }
  expect([...lake.events.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect(new Set(lake.events.keys())).toEqual(truth.valid);
  expect(lake.quarantine.map((r) => r[0]).sort()).toEqual([...truth.badIds].sort());
  expect(new Set(lake.quarantine.map((r) => `${r[1]}/${r[2]}`))).toEqual(new Set(["missing_identity/ingest"]));
  return truth;
}

async function checkpointKeys(s3: S3Client, folder: "offsets" | "commits"): Promise<Set<number>> {
  const answer = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_ASSETS_BUCKET, Prefix: `${SPARK_JOB_PREFIXES.checkpoint}${folder}/` }));
  return new Set((answer.Contents ?? []).map((o) => o.Key!.split("/").pop()!).filter((n) => /^\d+$/.test(n)).map(Number));
}

/** The last batch id, once Spark committed every batch it started (the lake can hold a batch's rows before that). */
async function lastBatchWhenIdle(s3: S3Client): Promise<number> {
  for (;;) {
    const offsets = await checkpointKeys(s3, "offsets");
    const commits = await checkpointKeys(s3, "commits");
    if (offsets.size > 0 && [...offsets].every((b) => commits.has(b))) return Math.max(...offsets);
    if (job?.child.exitCode !== null) throw new Error(`the Spark job ended:\n${output.slice(-60).join("\n")}`);
    await sleep(100);
  }
}

async function hasManifest(s3: S3Client, batchId: number): Promise<boolean> {
  const key = `${SPARK_JOB_PREFIXES.state}manifests/batch=${String(batchId).padStart(10, "0")}.json`;
  const answer = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_ASSETS_BUCKET, Prefix: key }));
  return (answer.Contents ?? []).some((o) => o.Key === key);
}

describe.skipIf(!sparkReady)(`the Glue job on local Spark, against the local pipeline${sparkSkipNote}`, () => {
  it("curates every valid event exactly once, also across a kill -9 mid-batch and a restart", { timeout: 900_000 }, async () => {
    pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false, log: (l) => output.push(l) }, []);
    const { info } = pipeline;
    const s3 = new S3Client({ ...clientConfig({ region: info.region, endpoint: info.s3Endpoint }), forcePathStyle: true });
    try {
      await publishSparkJobPlan(info);

      // 1. Normal operation: one request resent whole (duplicates by messageId).
      const first = makeRequest("a", 40);
      await send(info, first);
      await send(info, first);
      startJob(info);
      let truth = await expectExactlyOnce(info);
      expect(truth.valid.size).toBe(36);
      const perType = await queryLocalLake(tmp.dir, "SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1");
      expect(perType.rows).toEqual([["page", 20], ["track", 16]]); // every 10th event (i = 3, 13, ...: a track event) is a bad row
      const text = await queryLocalLake(tmp.dir, "SELECT DISTINCT json_extract_string(properties, '$.text') FROM events");
      expect(text.rows).toEqual([["naïve café ✓ 😀"]]);

      // 2. kill -9 in the middle of a batch: its manifest is written (publication started), Spark has not committed it.
      const next = (await lastBatchWhenIdle(s3)) + 1;
      await send(info, makeRequest("b", 40));
      while (!(await hasManifest(s3, next))) {
        if (job!.child.exitCode !== null) throw new Error(`the Spark job ended:\n${output.slice(-60).join("\n")}`);
        await sleep(20);
      }
      job!.child.kill("SIGKILL");
      await job!.exited;
      expect(await checkpointKeys(s3, "offsets")).toContain(next);
      expect(await checkpointKeys(s3, "commits")).not.toContain(next);

      // 3. Restart: Spark replays the batch from its checkpoint; nothing is lost or doubled.
      await send(info, makeRequest("c", 20));
      startJob(info);
      truth = await expectExactlyOnce(info);
      expect(truth.valid.size).toBe(36 + 36 + 18);
      expect(await checkpointKeys(s3, "commits")).toContain(next);
    } finally {
      s3.destroy();
    }
  });
});
