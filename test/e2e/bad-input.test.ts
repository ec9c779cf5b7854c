/**
 * Bad input (ARCHITECTURE.md, "Guarantees"): every case of the corpus against the real HTTP endpoint of the local pipeline. Each gets
 * its documented status and per-event reason, valid events in the same request are accepted and reach the stream,
 * rejected events reach the stream as bad rows, request-level rejections write nothing, and the server keeps serving.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS } from "../fixtures/bad-input-corpus";
import { readWholeStream } from "../helpers/stream-reader";
import { tempDir } from "../helpers/temp-dir";

const tmp = tempDir("bad-input");
let pipeline: LocalPipeline;
beforeAll(async () => {
  pipeline = await startLocalPipeline({ dataDir: tmp.dir, port: 0, apiThrottling: false });
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

describe("bad-input corpus over HTTP", () => {
  it("has at least 100 cases", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
  });

  it("answers every case as documented, keeps valid neighbours, and keeps serving", async () => {
    const auth = `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`;
    let expectedBadRows = 0;
    let expectedEvents = 0;
    const failures: string[] = [];
    for (const c of CORPUS) {
      const headers: Record<string, string> = { "content-type": "application/json", ...(c.noAuth ? {} : { authorization: auth }), ...c.headers };
      const method = c.method ?? "POST";
      const response = await fetch(`${pipeline.info.endpoint}${c.path}`, {
        method,
        headers,
        ...(c.body !== undefined && method !== "GET" ? { body: c.body } : {}),
      });
      const text = await response.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        failures.push(`${c.name}: body is not JSON: ${text.slice(0, 100)}`);
        continue;
      }
      if (response.status !== c.expect.status) {
        failures.push(`${c.name}: status ${response.status}, expected ${c.expect.status} (${text.slice(0, 200)})`);
        continue;
      }
      if ("error" in c.expect) {
        if (json.error !== c.expect.error) failures.push(`${c.name}: error ${String(json.error)}, expected ${c.expect.error}`);
        if (typeof json.message !== "string" || json.message.length === 0) failures.push(`${c.name}: no message`);
      } else {
        if (json.accepted !== c.expect.accepted) failures.push(`${c.name}: accepted ${String(json.accepted)}, expected ${c.expect.accepted}`);
        expectedEvents += c.expect.accepted;
        if (c.expect.status === 207) {
          const errors = json.errors as { reason: string; index: number; message: string }[];
          const reasons = errors.map((e) => e.reason);
          if (JSON.stringify(reasons) !== JSON.stringify(c.expect.reasons)) failures.push(`${c.name}: reasons ${reasons.join(",")}, expected ${c.expect.reasons.join(",")}`);
          if (errors.some((e) => typeof e.index !== "number" || !e.message)) failures.push(`${c.name}: error entries need index and message`);
          expectedBadRows += c.expect.reasons.length;
        }
      }
    }
    expect(failures).toEqual([]);

    // Everything accepted is on the stream; every rejected event is there as a bad row; nothing else is.
    const client = new KinesisClient(clientConfig({ region: "us-east-1", endpoint: pipeline.info.kinesisEndpoint }));
    const records = (await readWholeStream(client, pipeline.info.streamName)).map((r) => JSON.parse(r.data.toString("utf8")) as { kind: string; reason?: string });
    client.destroy();
    expect(records.filter((r) => r.kind === "event")).toHaveLength(expectedEvents);
    expect(records.filter((r) => r.kind === "bad_row")).toHaveLength(expectedBadRows);
    expect((await fetch(`${pipeline.info.endpoint}/health`)).status).toBe(200);
  }, 120_000);
});
