/**
 * Fixtures for the Glue job's Python unit tests (glue/tests/), produced by the TypeScript definitions the job must
 * agree with, so that both languages are held to the same bytes and names:
 * - kpl-records.json: KPL records from our encoder (packages/core/src/kinesis/kpl.ts) and their user records as its
 *   `deaggregate()` returns them, for glue/runner/kpl.py;
 * - naming.json: data file names from the contract's `dataFileName`, for glue/runner/layout.py;
 * - curation-plan.json (written by fixtures.test.ts): a plan for the real contract (job-plan.ts), for the Python
 *   tests of the plan loader and the batch orchestration. It may lag contract changes: fixtures.test.ts checks the
 *   current plan with the Python loader directly.
 * The cases are deterministic; fixtures.test.ts fails when the KPL or naming file differs from what the TypeScript
 * side produces now (regenerate: `EVENTLAKE_UPDATE_FIXTURES=1 npx vitest run test/glue/fixtures.test.ts`).
 */
import { createHash } from "node:crypto";
import { dataFileName } from "@eventlake/core/curation/contract";
import { aggregate, deaggregate, encodeAggregatedRecord, type UserRecord } from "@eventlake/core/kinesis/kpl";

export interface FixtureRecord {
  partitionKey: string;
  explicitHashKey?: string;
  dataBase64: string;
}

export interface KplFixtureCase {
  name: string;
  /** The Kinesis record as read from the stream. */
  record: FixtureRecord;
  /** Its user records, as packages/core/src/kinesis/kpl.ts `deaggregate()` returns them. */
  expected: FixtureRecord[];
}

export interface KplFixtures {
  generatedBy: string;
  cases: KplFixtureCase[];
}

const MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const utf8 = (s: string) => Buffer.from(s, "utf8");
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest();

function event(i: number, extra: Record<string, unknown> = {}): Uint8Array {
  return utf8(
    JSON.stringify({
      kind: "event",
      formatVersion: 1,
      messageId: `msg-${String(i).padStart(4, "0")}`,
      type: "track",
      event: "Signed Up",
      userId: `user-${i % 7}`,
      receivedAt: "2024-12-31T23:59:59.999Z",
      timestamp: "2024-12-31T23:59:59.999Z",
      sourceId: "web",
      schemaVersion: null,
      ...extra,
    }),
  );
}

function toFixture(r: UserRecord): FixtureRecord {
  const out: FixtureRecord = { partitionKey: r.partitionKey, dataBase64: Buffer.from(r.data).toString("base64") };
  if (r.explicitHashKey !== undefined) out.explicitHashKey = r.explicitHashKey;
  return out;
}

function kinesisCase(name: string, record: UserRecord): KplFixtureCase {
  return {
    name,
    record: toFixture(record),
    expected: deaggregate(record.data, record.partitionKey, record.explicitHashKey).map(toFixture),
  };
}

export function buildKplFixtures(): KplFixtures {
  const cases: KplFixtureCase[] = [];

  // Several user records with distinct keys, one with an explicit hash key, unicode and nested data.
  const mixed: UserRecord[] = [
    { partitionKey: "user-1", data: event(1) },
    { partitionKey: "user-2", explicitHashKey: "170141183460469231731687303715884105728", data: event(2, { properties: { "名前": "😀", nested: { a: [1, { b: null }] } } }) },
    { partitionKey: "user-1", data: event(3, { event: "  Ünïcödé Ëvent  " }) },
  ];
  cases.push(kinesisCase("aggregate of three records, shared and explicit hash keys, unicode", {
    partitionKey: "user-1",
    explicitHashKey: "99999",
    data: encodeAggregatedRecord(mixed),
  }));

  // What the ingest function actually sends: aggregate() over a request's events (KPL-sized aggregates).
  const batch: UserRecord[] = Array.from({ length: 60 }, (_, i) => ({ partitionKey: `anon-${i % 9}`, data: event(100 + i) }));
  const entries = aggregate(batch, { maxAggregatedBytes: 4096 });
  entries.forEach((entry, i) => {
    const record: UserRecord = { partitionKey: entry.partitionKey, data: entry.data };
    if (entry.explicitHashKey !== undefined) record.explicitHashKey = entry.explicitHashKey;
    cases.push(kinesisCase(`ingest-style entry ${i} (${entry.userRecordIndexes.length} user records)`, record));
  });

  cases.push(kinesisCase("plain JSON record (not aggregated) passes through", { partitionKey: "user-9", data: event(9) }));
  cases.push(kinesisCase("plain record with an explicit hash key passes through", { partitionKey: "p", explicitHashKey: "42", data: event(10) }));

  const tampered = Buffer.from(encodeAggregatedRecord(mixed));
  tampered[10] = tampered[10]! ^ 0xff;
  cases.push(kinesisCase("magic with a wrong MD5 passes through unchanged", { partitionKey: "user-1", data: tampered }));

  const garbage = Buffer.from([0x1a, 0x05, 0x08, 0x00, 0x1a, 0x7f, 0x00]); // a record whose data length overruns
  cases.push(kinesisCase("valid MD5 over malformed protobuf passes through", {
    partitionKey: "user-1",
    data: Buffer.concat([MAGIC, garbage, md5(garbage)]),
  }));

  const missingData = Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x02, 0x08, 0x00]); // record without its required data
  cases.push(kinesisCase("aggregate with a record missing its data passes through", {
    partitionKey: "k",
    data: Buffer.concat([MAGIC, missingData, md5(missingData)]),
  }));

  const badIndex = Buffer.from([0x0a, 0x01, 0x6b, 0x1a, 0x05, 0x08, 0x03, 0x1a, 0x01, 0x78]); // pk index 3 of 1
  cases.push(kinesisCase("aggregate with a partition key index out of range passes through", {
    partitionKey: "k",
    data: Buffer.concat([MAGIC, badIndex, md5(badIndex)]),
  }));

  // Records first, key table after, plus a tag and an unknown field: still decodes.
  const reordered = Buffer.concat([
    Buffer.from([0x1a, 0x0f, 0x08, 0x00, 0x1a, 0x02]), utf8("{}"),
    Buffer.from([0x22, 0x05, 0x0a, 0x01]), utf8("t"), Buffer.from([0x12, 0x00]),
    Buffer.from([0x28, 0x01]), // unknown varint field 5 inside the Record
    Buffer.from([0x0a, 0x03]), utf8("key"),
    Buffer.from([0x30, 0x07]), // unknown varint field 6 at the top level
  ]);
  cases.push(kinesisCase("records before the key table, tags and unknown fields", {
    partitionKey: "outer",
    data: Buffer.concat([MAGIC, reordered, md5(reordered)]),
  }));

  cases.push(kinesisCase("an aggregate of zero records has no user records", { partitionKey: "k", data: encodeAggregatedRecord([]) }));
  cases.push(kinesisCase("undecodable bytes (not UTF-8) pass through", { partitionKey: "k", data: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]) }));
  cases.push(kinesisCase("truncated magic passes through", { partitionKey: "k", data: MAGIC.subarray(0, 3) }));
  cases.push(kinesisCase("empty data passes through", { partitionKey: "k", data: Buffer.alloc(0) }));

  return { generatedBy: "test/glue/kpl-fixtures.ts (packages/core/src/kinesis/kpl.ts)", cases };
}

export interface NamingFixtures {
  generatedBy: string;
  dataFileName: { batchId: number; n: number; name: string }[];
}

export function buildNamingFixtures(): NamingFixtures {
  const cases: [number, number][] = [[0, 0], [1, 0], [42, 1], [9, 3], [10, 0], [123_456_789, 12], [9_999_999_999, 0]];
  return {
    generatedBy: "test/glue/fixtures.ts (packages/core/src/curation/contract.ts dataFileName)",
    dataFileName: cases.map(([batchId, n]) => ({ batchId, n, name: dataFileName(batchId, n) })),
  };
}
