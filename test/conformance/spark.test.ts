/**
 * The curation contract on real Spark (the Glue job's engine): every fixture's batches run through the compiled
 * Spark SQL of the Glue job's plan, in one local SparkSession (glue/local/conformance.py, the job's own SparkEngine,
 * state written as Parquet and read back between batches). Each batch's curated rows, quarantined rows and
 * aggregates must equal the fixture's expected rows AND the DuckDB engine's rows, value by value: the Spark column
 * types are the contract's (SQL_TYPES), timestamps agree to the microsecond, NULLs are NULLs.
 *
 * One Python process for all fixtures: the JVM starts once (about 10 s on 2 cores).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CURATION_CONTRACT, SQL_TYPES, type CuratedTableName, type LogicalType } from "@eventlake/core/curation/contract";
import { buildGlueJobPlan } from "@eventlake/core/glue/job-plan";
import { CurationEngine } from "@eventlake/local/curator/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GLUE_DIR, GLUE_PYTHON, sparkReady, sparkSkipNote } from "../helpers/spark-env";
import { tempDir } from "../helpers/temp-dir";
import { readCanonicalRows } from "./engine-rows";
import { canonicalRow, loadConformanceFixtures, sortRows, type Row } from "./fixtures";

const fixtures = loadConformanceFixtures();
const plan = buildGlueJobPlan();
const TABLES: CuratedTableName[] = ["events", "quarantine", "aggregates"];

interface SparkTable {
  schema: [string, string][];
  rows: Record<string, unknown>[];
}
interface SparkBatch {
  batchId: number;
  tables: Record<string, SparkTable>;
  stats: Record<string, unknown>;
}
interface SparkRun {
  sparkVersion: string;
  fixtures: { name: string; batches: SparkBatch[] }[];
}

/** Spark's type of each column of a table, as the contract says (partition columns are strings). */
function expectedSchema(table: CuratedTableName): [string, string][] {
  const t = CURATION_CONTRACT.tables[table];
  return [
    ...t.columns.map((c) => [c.name, SQL_TYPES[c.type].spark.toLowerCase()] as [string, string]),
    ...t.partitionColumns.map((c) => [c.name, "string"] as [string, string]),
  ];
}

const JSON_TYPE: Record<LogicalType, string> = { string: "string", json: "string", timestamp: "string", bigint: "number", boolean: "boolean" };

/** Spark's rows in canonical form, after checking each value's JSON type against the column's (no coercion hides a difference). */
function canonicalSparkRows(table: CuratedTableName, rows: Record<string, unknown>[], where: string): Row[] {
  const t = CURATION_CONTRACT.tables[table];
  const types = new Map<string, string>([...t.columns.map((c) => [c.name, JSON_TYPE[c.type]] as const), ...t.partitionColumns.map((c) => [c.name, "string"] as const)]);
  return sortRows(
    rows.map((row, i) => {
      for (const [k, v] of Object.entries(row)) {
        if (v !== null) expect(typeof v, `${where} row ${i} column ${k}`).toBe(types.get(k));
      }
      return canonicalRow(table, row as Row, `${where} row ${i}`);
    }),
  );
}

function runSpark(input: string, output: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const child = spawn(GLUE_PYTHON, ["-B", join(GLUE_DIR, "local", "conformance.py"), input, output], { cwd: GLUE_DIR, stdio: ["ignore", "inherit", "pipe"] });
    child.stderr!.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-20_000);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`conformance.py exited ${code ?? signal}:\n${stderr}`))));
  });
}

describe.skipIf(!sparkReady)(`curation conformance: Spark engine (the Glue job's plan, local Spark)${sparkSkipNote}`, () => {
  let spark: SparkRun;
  const tmp = tempDir("spark-conformance");

  beforeAll(async () => {
    const input = join(tmp.dir, "input.json");
    const output = join(tmp.dir, "output.json");
    const spec = {
      plan,
      fixtures: fixtures.map((f) => ({
        name: f.name,
        batches: f.batches.map((b) => ({
          batchId: b.batchId,
          processingTime: b.processingTime,
          records: b.records.map((r) => ({ base64: r.bytes.toString("base64"), arrivalTime: r.arrivalTime })),
        })),
      })),
    };
    writeFileSync(input, JSON.stringify(spec));
    await runSpark(input, output);
    spark = JSON.parse(readFileSync(output, "utf8")) as SparkRun;
  }, 900_000);
  afterAll(() => tmp.remove());

  it("ran every fixture's batches on Spark 3.x", () => {
    expect(spark.sparkVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(spark.fixtures.map((f) => [f.name, f.batches.length])).toEqual(fixtures.map((f) => [f.name, f.batches.length]));
    expect(fixtures.length).toBeGreaterThanOrEqual(5);
  });

  for (const [fi, fixture] of fixtures.entries()) {
    describe(fixture.name, () => {
      let duck: CurationEngine;
      beforeAll(async () => {
        duck = await CurationEngine.open(":memory:", { threads: 1 });
      });
      afterAll(() => duck?.close());

      fixture.batches.forEach((batch, bi) => {
        it(`batch ${bi}: same rows, types and stats as expected and as DuckDB`, async () => {
          const got = spark.fixtures[fi]!.batches[bi]!;
          const duckStats = await duck.runBatch(
            batch.batchId,
            new Date(batch.processingTime),
            batch.records.map((r) => ({ data: r.bytes, arrivalTime: new Date(r.arrivalTime) })),
          );
          for (const table of TABLES) {
            const result = got.tables[table]!;
            expect(result.schema, `${table} schema`).toEqual(expectedSchema(table));
            const rows = canonicalSparkRows(table, result.rows, `${fixture.name} batch ${bi} ${table}`);
            expect(rows, `${table} vs expected`).toEqual(batch.expected[table]);
            expect(rows, `${table} vs DuckDB`).toEqual(await readCanonicalRows(duck, table, duck.compiled.outputs[table]));
          }
          const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
          const counts = ["records", "curated", "duplicates", "quarantined", "lateEvents", "aggregates"] as const;
          const sparkCounts = Object.fromEntries(counts.map((k) => [k, got.stats[snake(k)]]));
          expect(sparkCounts, "stats vs DuckDB").toEqual(Object.fromEntries(counts.map((k) => [k, duckStats[k]])));
          if (batch.expectedStats) expect(sparkCounts, "stats vs expected").toMatchObject(batch.expectedStats);
          expect(sparkCounts.records).toBe(batch.records.length);
          await duck.commit();
        });
      });
    });
  }
});
