/**
 * The local curation engine: the contract's compiled DuckDB SQL run over one micro-batch, with the curation state
 * (dedup, open aggregate windows, watermark) kept in a DuckDB database. The local curator (curator.ts), the
 * conformance suite and the benchmark all drive this one class, so what is tested is what runs.
 *
 * A batch: `runBatch()` loads the records and runs the statements; `writeOutputs()` copies the output relations to
 * Hive-partitioned Parquet files named from the batch id; `commit()` replaces the state with the batch's next state
 * in one transaction, together with whatever the caller commits alongside (its stream positions).
 */
import { mkdirSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { DuckDBInstance, timestampTZValue, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
import { CURATION_CONTRACT, type CuratedTableName, type CurationContract } from "@eventlake/core/curation/contract";
import type { CompiledCuration } from "@eventlake/core/curation/compile";
import { compileDuckDbSql, duckDbCopyStatement } from "@eventlake/core/curation/compile-duckdb";

export interface RawRecord {
  /** The user record's bytes (after KPL de-aggregation). */
  data: Uint8Array;
  /** When it arrived on the stream (ApproximateArrivalTimestamp). */
  arrivalTime: Date;
}

export interface BatchStats {
  records: number;
  curated: number;
  duplicates: number;
  quarantined: number;
  lateEvents: number;
  aggregates: number;
  /** ISO-8601, microseconds; undefined before the first event. */
  eventWatermark?: string;
}

export interface OutputFile {
  table: CuratedTableName;
  /** Local file written by DuckDB. */
  path: string;
  /** Object key in the lake bucket (table prefix + partition path + file name). */
  key: string;
  /** The partition's key prefix (ends in "/"). */
  partitionPrefix: string;
}

export type SqlParams = Record<string, DuckDBValue> | DuckDBValue[];

/** Statements the caller commits in the same transaction as the state (stream positions, batch bookkeeping). */
export type CommitStatement = readonly [sql: string, params?: SqlParams];

function micros(date: Date): bigint {
  return BigInt(date.getTime()) * 1000n;
}

/** Column definitions (DuckDB types) of an input relation, for the tables the engine creates. */
function columnsDdl(compiled: CompiledCuration, key: keyof CompiledCuration["inputs"]) {
  return compiled.inputs[key].columns.map((c) => `${c.name} ${c.type}`).join(", ");
}

export class CurationEngine {
  readonly compiled: CompiledCuration;
  private batchId: bigint | undefined;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly contract: CurationContract,
  ) {
    this.compiled = compileDuckDbSql(contract);
  }

  /**
   * Opens (or creates) the state database: a file path for durable state, ":memory:" for tests and benchmarks.
   * `threads` bounds DuckDB's parallelism (the local pipeline shares the machine).
   */
  static async open(path: string, options: { contract?: CurationContract; threads?: number; memoryLimit?: string } = {}): Promise<CurationEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    if (options.memoryLimit !== undefined) config.memory_limit = options.memoryLimit;
    // The batch's relations are temp (in memory, never in the WAL); the state lives in the attached file, made the
    // default catalog so the compiled statements' unqualified names resolve to it.
    const instance = await DuckDBInstance.create(":memory:", config);
    const connection = await instance.connect();
    if (path !== ":memory:") {
      await connection.run(`ATTACH '${path.replace(/'/g, "''")}' AS curation_state`);
      await connection.run("USE curation_state");
    }
    const engine = new CurationEngine(instance, connection, options.contract ?? CURATION_CONTRACT);
    await engine.init();
    return engine;
  }

  private async init() {
    for (const [k, v] of Object.entries(this.compiled.settings)) await this.connection.run(`SET ${k} = '${v.replace(/'/g, "''")}'`);
    const i = this.compiled.inputs;
    await this.connection.run(`CREATE TABLE IF NOT EXISTS ${i.dedupState.name} (${columnsDdl(this.compiled, "dedupState")})`);
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${i.aggregateState.name} (${columnsDdl(this.compiled, "aggregateState")})`,
    );
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${i.watermarkState.name} (${columnsDdl(this.compiled, "watermarkState")})`,
    );
    const rows = await this.query(`SELECT count(*) AS n FROM ${i.watermarkState.name}`);
    if (Number(rows[0]!.n) === 0) await this.connection.run(`INSERT INTO ${i.watermarkState.name} VALUES (NULL, NULL)`);
  }

  /** Runs a query and returns plain rows (DuckDB values as JS values: BIGINT as bigint, timestamps as DuckDB values). */
  async query(sql: string, params?: SqlParams): Promise<Record<string, DuckDBValue>[]> {
    const result = await this.connection.runAndReadAll(sql, params);
    return result.getRowObjects();
  }

  async run(sql: string, params?: SqlParams): Promise<void> {
    await this.connection.run(sql, params);
  }

  /** Loads the batch's records and runs the compiled statements; the outputs are then readable by name. */
  async runBatch(batchId: bigint | number, processingTime: Date, records: readonly RawRecord[]): Promise<BatchStats> {
    const { inputs, statements } = this.compiled;
    const id = BigInt(batchId);
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${inputs.batch.name} (${columnsDdl(this.compiled, "batch")})`);
    await this.connection.run(`INSERT INTO ${inputs.batch.name} VALUES ($1, $2)`, [id, timestampTZValue(micros(processingTime))]);
    await this.loadRecords(records);
    for (const s of statements) await this.connection.run(s.sql);
    this.batchId = id;
    return this.stats();
  }

  /**
   * (Re)creates the input relation with the records. The bytes are appended as BLOBs (no string conversion in
   * JavaScript) and the input relation is a view that decodes them: the text when valid UTF-8, else base64.
   */
  async loadRecords(records: readonly RawRecord[]): Promise<void> {
    const { inputs } = this.compiled;
    await this.connection.run("CREATE OR REPLACE TEMP TABLE _raw_bytes (bytes BLOB NOT NULL, arrival_time TIMESTAMPTZ NOT NULL)");
    await this.connection.run(
      `CREATE OR REPLACE TEMP VIEW ${inputs.input.name} AS SELECT text AS data, CASE WHEN text IS NULL THEN to_base64(bytes) END AS data_base64, arrival_time
FROM (SELECT TRY(decode(bytes)) AS text, bytes, arrival_time FROM _raw_bytes)`,
    );
    const appender = await this.connection.createAppender("_raw_bytes", "main", "temp");
    try {
      let lastArrival: Date | undefined;
      let arrival = timestampTZValue(0n);
      for (const r of records) {
        appender.appendBlob(r.data);
        // Records of one Kinesis record share their arrival time: convert it once.
        if (r.arrivalTime !== lastArrival) {
          lastArrival = r.arrivalTime;
          arrival = timestampTZValue(micros(r.arrivalTime));
        }
        appender.appendTimestampTZ(arrival);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** The counts of the batch just run. */
  async stats(): Promise<BatchStats> {
    const [row] = await this.query(
      `SELECT records, curated, duplicates, quarantined, late_events, aggregates, strftime(event_watermark, '%Y-%m-%dT%H:%M:%S.%fZ') AS wm FROM ${this.compiled.outputs.stats}`,
    );
    const n = (v: DuckDBValue | undefined) => Number(v ?? 0);
    const stats: BatchStats = {
      records: n(row!.records),
      curated: n(row!.curated),
      duplicates: n(row!.duplicates),
      quarantined: n(row!.quarantined),
      lateEvents: n(row!.late_events),
      aggregates: n(row!.aggregates),
    };
    if (row!.wm !== null && row!.wm !== undefined) stats.eventWatermark = String(row!.wm);
    return stats;
  }

  /**
   * Writes the batch's curated events, quarantined records and finished aggregates under `directory` as
   * Hive-partitioned Parquet (zstd, microsecond timestamps), one `part-<batchId>-<n>.parquet` per partition.
   */
  async writeOutputs(directory: string): Promise<OutputFile[]> {
    if (this.batchId === undefined) throw new Error("writeOutputs: no batch has run");
    const files: OutputFile[] = [];
    const { outputs, writeOrder } = this.compiled;
    const jobs: { table: CuratedTableName; relation: string; orderBy: string[] }[] = [
      { table: "events", relation: outputs.events, orderBy: writeOrder.events },
      { table: "quarantine", relation: outputs.quarantine, orderBy: writeOrder.quarantine },
      { table: "aggregates", relation: outputs.aggregates, orderBy: writeOrder.aggregates },
    ];
    // An empty relation writes no file (so no count first: that would compute the relation twice).
    for (const job of jobs) {
      const table = this.contract.tables[job.table];
      const dir = join(directory, job.table);
      mkdirSync(dir, { recursive: true });
      await this.connection.run(duckDbCopyStatement({ relation: job.relation, table, directory: dir, batchId: this.batchId, orderBy: job.orderBy, contract: this.contract }));
      for (const path of walk(dir)) {
        const rel = relative(dir, path).split(sep).join("/");
        const slash = rel.lastIndexOf("/");
        files.push({ table: job.table, path, key: `${table.prefix}${rel}`, partitionPrefix: `${table.prefix}${rel.slice(0, slash + 1)}` });
      }
    }
    return files;
  }

  /**
   * Makes the batch's next state the state, in one transaction with the caller's statements (stream positions):
   * either all of it is durable or none of it is.
   */
  async commit(extra: readonly CommitStatement[] = []): Promise<void> {
    const { inputs, outputs } = this.compiled;
    // The next-state relations read the current state: materialize them before replacing it.
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE _next_dedup AS SELECT * FROM ${outputs.dedupState}`);
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE _next_aggregates AS SELECT * FROM ${outputs.aggregateState}`);
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE _next_watermark AS SELECT * FROM ${outputs.watermarkState}`);
    await this.connection.run("BEGIN TRANSACTION");
    try {
      for (const [state, next] of [
        [inputs.dedupState.name, "_next_dedup"],
        [inputs.aggregateState.name, "_next_aggregates"],
        [inputs.watermarkState.name, "_next_watermark"],
      ] as const) {
        await this.connection.run(`DELETE FROM ${state}`);
        await this.connection.run(`INSERT INTO ${state} SELECT * FROM ${next}`);
      }
      for (const [sql, params] of extra) await this.connection.run(sql, params);
      await this.connection.run("COMMIT");
    } catch (error) {
      await this.connection.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
    await this.discard();
  }

  /** Drops the batch's relations (after commit, or to abandon a batch). */
  async discard(): Promise<void> {
    for (const sql of this.compiled.cleanup) await this.connection.run(sql);
    for (const t of ["_next_dedup", "_next_aggregates", "_next_watermark"]) await this.connection.run(`DROP TABLE IF EXISTS ${t}`);
    this.batchId = undefined;
  }

  /** Forces DuckDB to fold its write-ahead log into the database file (keeps restarts fast). */
  async checkpoint(): Promise<void> {
    await this.connection.run("CHECKPOINT");
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}
