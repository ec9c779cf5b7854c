/**
 * Schema enforcement end to end (schemas/README.md): the repository's schema folder enforces nothing on a fresh
 * install (examples are never loaded); a `tag` schema's non-matching event is curated with its violations in
 * `schema_violations`; a `reject` schema's is quarantined as `schema_violation`.
 */
import { loadSchemaDirectory } from "@eventlake/adapters/schema-loader";
import { startLocalPipeline, type LocalPipeline } from "@eventlake/local";
import { queryLocalLake } from "@eventlake/local/cli/query";
import { curatorComponent } from "@eventlake/local/curator/curator";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir";
import { ingestFunction } from "@eventlake/core/functions/ingest";

const ROOT = join(import.meta.dirname, "..", "..");
const tmp = tempDir("e2e-schemas");
const schemaDir = join(tmp.dir, "schemas");
let pipeline: LocalPipeline;

beforeAll(async () => {
  // The shipped example (enforcement "tag") made active, and a "reject" schema of the user's.
  mkdirSync(join(schemaDir, "signed_up"), { recursive: true });
  cpSync(join(ROOT, "schemas", "examples", "order_completed"), join(schemaDir, "order_completed"), { recursive: true });
  writeFileSync(
    join(schemaDir, "signed_up", "1-0-0.json"),
    JSON.stringify({ self: { event: "Signed Up", version: "1-0-0", enforcement: "reject" }, type: "object", required: ["plan"], properties: { plan: { type: "string" } } }),
  );
  pipeline = await startLocalPipeline(
    { dataDir: join(tmp.dir, "data"), port: 0, apiThrottling: false, functionEnv: { [ingestFunction.env.schemaDir.name]: schemaDir } },
    [curatorComponent({ windowMs: 300 })],
  );
}, 60_000);
afterAll(async () => {
  await pipeline?.close();
  tmp.remove();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function rows(sql: string, expected: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const result = await queryLocalLake(pipeline.dataDir, sql);
    if (result.rows.length >= expected || Date.now() > deadline) return result.rows;
    await sleep(300);
  }
}

describe("schemas", () => {
  it("a fresh install enforces nothing: the shipped folder holds only examples, which are not loaded", () => {
    expect(loadSchemaDirectory(join(ROOT, "schemas"), { required: true })).toEqual([]);
    expect(loadSchemaDirectory(join(ROOT, "schemas", "examples")).map((d) => [d.event, d.enforcement])).toEqual([["Order Completed", "tag"]]);
  });

  it("tag: curated with its violations; reject: quarantined as schema_violation", async () => {
    const auth = { authorization: `Basic ${Buffer.from(`${pipeline.info.writeKey}:`).toString("base64")}`, "content-type": "application/json" };
    const batch = [
      { type: "track", event: "Order Completed", userId: "s1", messageId: "tag-bad", properties: { revenue: 10 } },
      { type: "track", event: "Order Completed", userId: "s1", messageId: "tag-good", properties: { order_id: "o1", revenue: 10, currency: "EUR" } },
      { type: "track", event: "Signed Up", userId: "s1", messageId: "reject-bad", properties: {} },
    ];
    const response = await fetch(`${pipeline.info.endpoint}/v1/batch`, { method: "POST", headers: auth, body: JSON.stringify({ batch }) });
    expect(response.status).toBe(207);
    expect(await response.json()).toMatchObject({ accepted: 2, rejected: 1, errors: [{ index: 2, messageId: "reject-bad", reason: "schema_violation" }] });
    const curated = await rows("SELECT message_id, schema_version, schema_violations FROM events ORDER BY message_id", 2);
    expect(curated.map(([id, version, violations]) => [id, version, violations === null ? null : JSON.parse(String(violations))])).toEqual([
      [
        "tag-bad",
        "1-0-0",
        [
          { schemaVersion: "1-0-0", path: "properties", message: "must have required property 'order_id'" },
          { schemaVersion: "1-0-0", path: "properties", message: "must have required property 'currency'" },
        ],
      ],
      ["tag-good", "1-0-0", null],
    ]);
    expect(await rows("SELECT message_id, reason, stage FROM quarantine", 1)).toEqual([["reject-bad", "schema_violation", "ingest"]]);
  });
});
