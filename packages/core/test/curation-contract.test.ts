import { describe, expect, it } from "vitest";
import { compileDuckDbSql, duckDbCopyStatement } from "../src/curation/compile-duckdb";
import { compileSparkSql } from "../src/curation/compile-spark";
import {
  CURATION_CONTRACT,
  CURATION_REJECTIONS,
  SQL_TYPES,
  dataFileName,
  glueDatabaseName,
  glueTableDefinitions,
  parseDataFileName,
  partitionPath,
  type CurationContract,
} from "../src/curation/contract";
import { LAKE_PREFIXES } from "../src/stage-config";

describe("curation contract", () => {
  it("names data files from the batch id, so a replayed batch rewrites the same names", () => {
    expect(dataFileName(0)).toBe("part-0000000000-0.parquet");
    expect(dataFileName(42n, 3)).toBe("part-0000000042-3.parquet");
    expect(parseDataFileName("part-0000000042-3.parquet")).toEqual({ batchId: 42n, n: 3 });
    expect(parseDataFileName("part-42-3.parquet")).toBeUndefined();
    expect(parseDataFileName("compacted-0001.parquet")).toBeUndefined();
    expect(() => dataFileName(-1)).toThrow(RangeError);
    expect(() => dataFileName(10_000_000_000)).toThrow(RangeError);
    expect(() => dataFileName(1, 1.5)).toThrow(RangeError);
  });

  it("builds Hive partition paths in the table's order and refuses values that would change the path", () => {
    const events = CURATION_CONTRACT.tables.events;
    expect(partitionPath(events, { event_type: "track", day: "05", month: "01", year: "2024" })).toBe("year=2024/month=01/day=05/event_type=track/");
    expect(() => partitionPath(events, { year: "2024", month: "01", day: "05" })).toThrow(/event_type/);
    expect(() => partitionPath(events, { year: "2024", month: "01", day: "05", event_type: "a/b" })).toThrow(/event_type/);
  });

  it("keeps the tables under the lake's prefixes", () => {
    const { events, quarantine, aggregates } = CURATION_CONTRACT.tables;
    expect(events.prefix).toBe(`${LAKE_PREFIXES.curated}events/`);
    expect(quarantine.prefix).toBe(LAKE_PREFIXES.quarantine);
    expect(aggregates.prefix).toBe(LAKE_PREFIXES.aggregates);
    expect(events.partitionColumns.map((p) => p.name)).toEqual(["year", "month", "day", "event_type"]);
    expect(quarantine.partitionColumns.map((p) => p.name)).toEqual(["year", "month", "day"]);
    // The batch columns close each first release's columns; columns added later come after them (additive evolution).
    for (const t of [events, quarantine, aggregates]) {
      const names = t.columns.map((c) => c.name);
      expect(names.slice(names.indexOf("processing_time"), names.indexOf("processing_time") + 2)).toEqual(["processing_time", "batch_id"]);
    }
    expect(events.columns.slice(events.columns.findIndex((c) => c.name === "batch_id") + 1).map((c) => [c.name, c.nullable])).toEqual([["schema_violations", true]]);
  });

  it("derives the Glue tables: Parquet SerDe, typed columns, string partition keys and partition projection", () => {
    const defs = glueTableDefinitions();
    expect(defs.map((d) => d.name)).toEqual(["events", "quarantine", "aggregates"]);
    const events = defs[0]!;
    expect(events.storage.serializationLibrary).toBe("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
    expect(events.columns.find((c) => c.name === "event_time")?.type).toBe("timestamp");
    expect(events.columns.find((c) => c.name === "batch_id")?.type).toBe("bigint");
    expect(events.partitionKeys).toEqual([
      expect.objectContaining({ name: "year", type: "string" }),
      expect.objectContaining({ name: "month", type: "string" }),
      expect.objectContaining({ name: "day", type: "string" }),
      expect.objectContaining({ name: "event_type", type: "string" }),
    ]);
    expect(events.parameters).toMatchObject({
      classification: "parquet",
      "parquet.compression": "ZSTD",
      "projection.enabled": "true",
      "projection.year.type": "integer",
      "projection.year.range": "2000,2099",
      "projection.month.range": "1,12",
      "projection.month.digits": "2",
      "projection.day.digits": "2",
      "projection.event_type.type": "enum",
      "projection.event_type.values": "track,identify,page,screen,group,alias",
    });
    // Every partition column has a projection (Athena fails the query otherwise).
    for (const def of defs) for (const p of def.partitionKeys) expect(def.parameters[`projection.${p.name}.type`]).toBeDefined();
    expect(glueDatabaseName("prod")).toBe("eventlake_prod");
    expect(glueDatabaseName("Jane-Dev")).toBe("eventlake_jane_dev");
  });

  it("maps every logical type to one timestamp unit (microseconds, UTC-adjusted) everywhere", () => {
    expect(SQL_TYPES.timestamp).toEqual({ parquet: "INT64 (TIMESTAMP(MICROS,true))", spark: "TIMESTAMP", duckdb: "TIMESTAMPTZ", glue: "timestamp" });
    expect(CURATION_CONTRACT.output).toMatchObject({ timestampUnit: "MICROS", compression: "zstd" });
  });

  it("gives every rule a typed reason and a message", () => {
    for (const rule of CURATION_CONTRACT.rules) {
      expect(Object.keys(CURATION_REJECTIONS)).toContain(rule.reason);
      expect(rule.message.length).toBeGreaterThan(0);
    }
  });
});

describe("curation compilers", () => {
  const spark = compileSparkSql();
  const duck = compileDuckDbSql();

  it("compile the same statements in the same order for both engines", () => {
    expect(spark.statements.map((s) => [s.name, s.materialize])).toEqual(duck.statements.map((s) => [s.name, s.materialize]));
    expect(spark.outputs).toEqual(duck.outputs);
    expect(Object.keys(spark.inputs)).toEqual(Object.keys(duck.inputs));
    for (const name of Object.values(duck.outputs)) expect(duck.statements.map((s) => s.name)).toContain(name);
  });

  it("spell each engine's functions and types", () => {
    const sparkSql = spark.statements.map((s) => s.sql).join("\n");
    const duckSql = duck.statements.map((s) => s.sql).join("\n");
    expect(sparkSql).toContain("json_tuple(");
    expect(sparkSql).toContain("unix_micros(");
    expect(sparkSql).toMatch(/^CREATE OR REPLACE TEMPORARY VIEW parsed AS /m);
    expect(duckSql).toContain("json_transform(");
    expect(duckSql).toContain("epoch_us(");
    expect(duckSql).toMatch(/CREATE OR REPLACE TEMP TABLE classified AS /);
    expect(spark.inputs.input.columns).toEqual([
      { name: "data", type: "STRING", nullable: true },
      { name: "data_base64", type: "STRING", nullable: true },
      { name: "arrival_time", type: "TIMESTAMP", nullable: false },
    ]);
    expect(spark.settings).toMatchObject({ "spark.sql.session.timeZone": "UTC", "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS" });
    expect(duck.settings).toEqual({ TimeZone: "UTC" });
  });

  it("escape string literals for each engine", () => {
    // Messages with quotes and the trim characters (tab, newline) must survive as literals.
    const sparkClassified = spark.statements.find((s) => s.name === "out_quarantine")!.sql;
    expect(sparkClassified).toContain(`'the record\\'s "kind" is neither "event" nor "bad_row"'`);
    const duckTyped = duck.statements.find((s) => s.name === "typed")!.sql;
    expect(duckTyped).toContain("chr(9)");
    expect(spark.statements.find((s) => s.name === "typed")!.sql).toContain("trim(BOTH ' \\t\\n\\r' FROM");
  });

  it("follows the contract's numbers (windows, watermark, dedup window)", () => {
    const changed: CurationContract = {
      ...CURATION_CONTRACT,
      watermark: { lateSeconds: 120 },
      aggregates: { ...CURATION_CONTRACT.aggregates, windowSeconds: 60 },
      dedup: { ...CURATION_CONTRACT.dedup, windowSeconds: 30 },
    };
    const sql = compileDuckDbSql(changed).statements.map((s) => s.sql).join("\n");
    expect(sql).toContain("- 120000000");
    expect(sql).toContain("% 60000000");
    expect(sql).toContain("- 30000000");
    expect(sql).not.toContain("600000000");
  });

  it("refuses a rule it has no predicate for", () => {
    const bad = { ...CURATION_CONTRACT, rules: [...CURATION_CONTRACT.rules, { reason: "missing_field" as const, field: "nope", message: "x" }] };
    expect(() => compileDuckDbSql(bad)).toThrow(/no predicate for rule missing_field:nope/);
  });

  it("writes DuckDB output with deterministic, batch-derived file names", () => {
    const copy = duckDbCopyStatement({ relation: "out_events", table: CURATION_CONTRACT.tables.events, directory: "/tmp/x", batchId: 7, orderBy: [] });
    expect(copy).toContain("FILENAME_PATTERN 'part-0000000007-{i}'");
    expect(copy).toContain("PARTITION_BY (year, month, day, event_type)");
    expect(copy).toContain("COMPRESSION zstd");
  });
});
