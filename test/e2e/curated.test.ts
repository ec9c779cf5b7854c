/**
 * The curated layer end to end (ARCHITECTURE.md, "Curated layer" and "Guarantees"): the local pipeline runs in a child process (so it can be killed with
 * SIGKILL); events go in over HTTP, valid and invalid, with whole requests resent (duplicates by messageId); the
 * curator's Parquet is queried with `eventlake query`'s engine. Every valid event on the stream must be in `events`
 * exactly once and every bad row in `quarantine` once: after normal operation, after a kill at the worst point of the
 * commit protocol (outputs written, state not committed), and after a kill -9 at an arbitrary moment mid-flow.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import type { LocalInfo } from "@eventlake/local";
import { queryLocalLake } from "@eventlake/local/cli/query";
import { readCuratorStatus } from "@eventlake/local/curator/curator";
import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { spawnPipeline } from "@eventlake/local/proof/pipeline-process";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";
import { LOCAL_VARIABLES } from "@eventlake/local/local-config";

const tmp = tempDir("e2e-curated");
let current: ChildProcess | undefined;
const output: string[] = [];

afterAll(async () => {
  if (current && current.exitCode === null && current.signalCode === null) {
    current.kill("SIGTERM");
    await new Promise((r) => current!.once("exit", r));
  }
  tmp.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the pipeline (ingest path + curator with a 300 ms window) in a child process on the test's data directory. */
function startChild(env: Record<string, string> = {}) {
  const run = spawnPipeline({
    dataDir: tmp.dir,
    imports: { curatorComponent: "packages/local/src/curator/curator.ts" },
    components: "[curatorComponent({ windowMs: 300 })]",
    env,
    onLine: (line) => output.push(line),
  });
  current = run.child;
  return run;
}

type Request = { batch: Record<string, unknown>[] };

/** Requests of 100 events: track/page/identify with known messageIds; every 25th event has no identity (a bad row). */
function makeRequests(phase: string, count: number): Request[] {
  const events = Array.from({ length: count }, (_, i) => {
    const invalid = i % 25 === 7;
    const type = ["track", "page", "identify"][i % 3]!;
    return {
      type,
      ...(type === "track" ? { event: i % 2 ? "Item Clicked" : "  Cart VIEWED " } : type === "page" ? { name: "Home" } : {}),
      ...(invalid ? {} : { userId: `user-${i % 97}` }),
      messageId: `${invalid ? "bad" : "ok"}-${phase}-${i}`,
      timestamp: new Date(Date.now() - (i % 600) * 1000).toISOString(),
      properties: { i, phase, text: "naïve café ✓" },
    };
  });
  const requests: Request[] = [];
  for (let i = 0; i < events.length; i += 100) requests.push({ batch: events.slice(i, i + 100) });
  return requests;
}

/** Posts requests; returns those that got no answer (the pipeline was down), for the client to send again. */
async function send(info: LocalInfo, requests: readonly Request[]): Promise<Request[]> {
  const headers = { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${info.writeKey}:`).toString("base64")}` };
  const unanswered: Request[] = [];
  for (const request of requests) {
    try {
      const response = await fetch(`${info.endpoint}/v1/batch`, { method: "POST", headers, body: JSON.stringify(request) });
      await response.arrayBuffer();
      // 200 or 207 (the invalid events become bad rows): accepted. Anything else a client would retry.
      if (response.status !== 200 && response.status !== 207) unanswered.push(request);
    } catch {
      unanswered.push(request);
    }
  }
  return unanswered;
}

/** The stream's user records (the ground truth): messageIds of valid events and the number of bad rows. */
async function streamTruth(info: LocalInfo) {
  const client = new KinesisClient(clientConfig({ region: info.region, endpoint: info.kinesisEndpoint }));
  try {
    const records = (await readWholeStream(client, info.streamName)).map((r) => JSON.parse(r.data.toString("utf8")) as { kind: string; messageId?: string });
    return {
      records: records.length,
      valid: new Set(records.filter((r) => r.kind === "event").map((r) => r.messageId!)),
      badRows: records.filter((r) => r.kind === "bad_row").length,
      badIds: new Set(records.filter((r) => r.kind === "bad_row").map((r) => r.messageId!)),
    };
  } finally {
    client.destroy();
  }
}

async function waitForCurator(records: number, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = readCuratorStatus(tmp.dir);
    if (status && status.totals.records >= records && status.caughtUp) return status;
    await sleep(200);
  }
  throw new Error(`the curator did not catch up with ${records} records: ${JSON.stringify(readCuratorStatus(tmp.dir))}`);
}

async function expectExactlyOnce(info: LocalInfo) {
  const truth = await streamTruth(info);
  await waitForCurator(truth.records);
  const ids = await queryLocalLake(tmp.dir, "SELECT message_id, count(*) AS n FROM events GROUP BY 1");
  const counts = new Map(ids.rows.map(([id, n]) => [id as string, n as number]));
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  expect(new Set(counts.keys())).toEqual(truth.valid);
  const quarantined = await queryLocalLake(tmp.dir, "SELECT message_id, reason, stage FROM quarantine");
  expect(quarantined.rows.length).toBe(truth.badRows);
  expect(new Set(quarantined.rows.map((r) => r[0]))).toEqual(truth.badIds);
  expect(new Set(quarantined.rows.map((r) => `${r[1]}/${r[2]}`))).toEqual(new Set(["missing_identity/ingest"]));
  return truth;
}

describe("curated layer, end to end", () => {
  it("curates every valid event exactly once and quarantines every bad row, across kills and restarts", { timeout: 300_000 }, async () => {
    // 1. Normal operation, with whole requests resent (duplicates by messageId).
    let run = startChild();
    let info = await run.info;
    const first = makeRequests("a", 1500);
    expect(await send(info, [...first, ...first.slice(0, 5)])).toEqual([]);
    let truth = await expectExactlyOnce(info);
    expect(truth.valid.size).toBe(1500 - 60);
    const names = await queryLocalLake(tmp.dir, "SELECT DISTINCT event_name FROM events WHERE event_type = 'track' ORDER BY 1");
    expect(names.rows.flat()).toEqual(["cart viewed", "item clicked"]);
    const perType = await queryLocalLake(tmp.dir, "SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1");
    expect(perType.rows).toEqual([["identify", 480], ["page", 480], ["track", 480]]);

    // 2. A kill at the worst point: the next batch's files are written, its state is not committed.
    run.child.kill("SIGTERM");
    await run.exited;
    const crashBatch = readCuratorStatus(tmp.dir)!.batchesCommitted;
    run = startChild({ [LOCAL_VARIABLES.curatorCrashAt]: `uploaded:${crashBatch}` });
    info = await run.info;
    const second = makeRequests("b", 1500);
    let retry = await send(info, [...second, ...second.slice(3, 6)]);
    await run.exited; // the curator killed its process at the crash point
    expect(run.child.signalCode).toBe("SIGKILL");
    run = startChild();
    info = await run.info;
    retry = await send(info, retry);
    expect(retry).toEqual([]);
    truth = await expectExactlyOnce(info);
    expect(output.some((l) => l.includes(`re-running batch ${crashBatch}`))).toBe(true);
    for (const id of ["ok-b-0", "ok-b-1499"]) expect(truth.valid.has(id)).toBe(true);

    // 3. kill -9 of the whole runtime at an arbitrary moment while events are sent and curated.
    const third = makeRequests("c", 1500);
    const sending = send(info, third);
    await sleep(1_500);
    run.child.kill("SIGKILL");
    await run.exited;
    retry = await sending;
    run = startChild();
    info = await run.info;
    expect(await send(info, retry)).toEqual([]);
    truth = await expectExactlyOnce(info);
    expect(truth.valid.size).toBe(3 * (1500 - 60));
  });
});
