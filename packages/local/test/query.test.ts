import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampTZValue } from "@duckdb/node-api";
import { CURATION_CONTRACT } from "@eventlake/core/curation/contract";
import { afterAll, describe, expect, it } from "vitest";
import { jsonValue, lakeViewSql, localLakeDir, queryLocalLake, QueryError, toAthenaSql } from "../src/cli/query";
import { tempDir } from "../../../test/helpers/temp-dir";

const tmp = tempDir("query");
afterAll(() => tmp.remove());

describe("eventlake query", () => {
  it("qualifies the contract's tables with the stage's Glue database for Athena, and nothing else", () => {
    expect(toAthenaSql("select event_type, count(*) from events group by 1", "eventlake_prod_0a1b2c3d")).toBe(
      'select event_type, count(*) from "eventlake_prod_0a1b2c3d"."events" group by 1',
    );
    expect(toAthenaSql("SELECT * FROM Events e JOIN quarantine q ON q.message_id = e.message_id, aggregates a", "eventlake_dev_9f8e7d6c")).toBe(
      'SELECT * FROM "eventlake_dev_9f8e7d6c"."events" e JOIN "eventlake_dev_9f8e7d6c"."quarantine" q ON q.message_id = e.message_id, "eventlake_dev_9f8e7d6c"."aggregates" a',
    );
    // Column names, strings, quoted identifiers and comments that spell a table name stay as they are.
    const untouched = `select events, 'from events' as s, "events" from t -- from events\n/* join quarantine */ where x = 1`;
    expect(toAthenaSql(untouched, "eventlake_dev_9f8e7d6c")).toBe(untouched);
  });

  it("answers with the contract's columns over an empty lake", async () => {
    mkdirSync(localLakeDir(tmp.dir), { recursive: true });
    const result = await queryLocalLake(tmp.dir, "SELECT * FROM events");
    const t = CURATION_CONTRACT.tables.events;
    expect(result.columns).toEqual([...t.columns.map((c) => c.name), ...t.partitionColumns.map((c) => c.name)]);
    expect(result.rows).toEqual([]);
    expect((await queryLocalLake(tmp.dir, "SELECT count(*) AS n FROM quarantine")).rows).toEqual([[0]]);
    expect(lakeViewSql(localLakeDir(tmp.dir), t)).toContain("WHERE false");
  });

  it("reads Hive partitions as strings, like the Glue tables declare them", () => {
    const dir = join(tmp.dir, "lake-with-files");
    const partition = join(dir, "curated/events/year=2024/month=01/day=05/event_type=track");
    mkdirSync(partition, { recursive: true });
    writeFileSync(join(partition, "@part-0000000000-0.parquet"), ""); // the local S3's file for the object
    const sql = lakeViewSql(dir, CURATION_CONTRACT.tables.events);
    expect(sql).toContain("hive_partitioning = true");
    expect(sql).toContain("'year': 'VARCHAR'");
    expect(sql).toContain("'event_type': 'VARCHAR'");
    expect(sql).toContain("/curated/events/*/*/*/*/@*.parquet");
  });

  it("reports bad SQL with DuckDB's message", async () => {
    await expect(queryLocalLake(tmp.dir, "selec 1")).rejects.toThrow(QueryError);
    await expect(queryLocalLake(tmp.dir, "select nope from events")).rejects.toThrow(/nope/);
  });

  it("prints timestamps as ISO-8601 UTC with microseconds and BIGINTs as numbers", () => {
    expect(jsonValue(timestampTZValue(1_704_067_200_123_456n))).toBe("2024-01-01T00:00:00.123456Z");
    expect(jsonValue(42n)).toBe(42);
    expect(jsonValue(2n ** 62n)).toBe("4611686018427387904");
    expect(jsonValue(null)).toBeNull();
  });
});
