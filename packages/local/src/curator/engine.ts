/**
 * The local curation engine: the contract's compiled DuckDB SQL run over one micro-batch, with the curation state
 * (dedup, open aggregate windows, watermark) kept in a DuckDB database. The local curator (curator.ts), the
 * conformance suite and the benchmark all drive this one class, so what is tested is what runs.
 *
 * A batch: `runBatch()` loads the records and runs the statements; `writeOutputs()` copies the output relations to
 * Hive-partitioned Parquet files named from the batch id; `commit()` appends the batch's state segments, replaces
 * the one-row watermark and drops the segments no later batch reads, in one transaction, together with whatever the
 * caller commits alongside (its stream positions).
 *
 * State (ARCHITECTURE.md, "Curation state"): dedup_state and aggregate_state are append-only tables of segments
 * (rows tagged with the batch that added them), and `state_segments` lists each segment with its bound. A commit
 * writes rows in proportion to the batch (its own segment) and deletes whole expired segments by batch id (row groups
 * skipped by their min/max), so it never rewrites the window. The only per-batch work that sees the whole window is
 * the compiled lookup (`already_curated`: the batch's messageIds streamed against the state).
 */
import { isUtf8 } from "node:buffer";
import { mkdirSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";
import bindings from "@duckdb/node-bindings";
import { DuckDBDataChunk, DuckDBInstance, TIMESTAMPTZ, timestampTZValue, VARCHAR, type DuckDBConnection, type DuckDBValue } from "@duckdb/node-api";
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

/** The catalog of state segments: (state, batch_id, bound), one row per segment still kept. */
export const STATE_SEGMENTS = "state_segments";

/** Rows per data chunk: DuckDB's standard vector size (duckdb_vector_size()), the capacity of a created chunk. */
const CHUNK_ROWS = bindings.vector_size();

function toMicros(date: Date): bigint {
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
    // The state's messageIds are random ids: FSST barely shrinks them, and decompressing 7.2M of them was most of
    // the dedup lookup (one hour of state at 2,000 events/s; bench/state-scaling.ts). A global setting, so set before
    // the state file is attached; row groups written before keep their compression until their segment expires.
    await connection.run("SET disabled_compression_methods = 'fsst'");
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
    await this.migrateUnsegmentedState();
    await this.connection.run(`CREATE TABLE IF NOT EXISTS ${i.dedupState.name} (${columnsDdl(this.compiled, "dedupState")})`);
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${i.aggregateState.name} (${columnsDdl(this.compiled, "aggregateState")})`,
    );
    await this.connection.run(`CREATE TABLE IF NOT EXISTS ${STATE_SEGMENTS} (state VARCHAR NOT NULL, batch_id BIGINT NOT NULL, bound BIGINT NOT NULL)`);
    await this.connection.run(
      `CREATE TABLE IF NOT EXISTS ${i.watermarkState.name} (${columnsDdl(this.compiled, "watermarkState")})`,
    );
    const rows = await this.query(`SELECT count(*) AS n FROM ${i.watermarkState.name}`);
    if (Number(rows[0]!.n) === 0) await this.connection.run(`INSERT INTO ${i.watermarkState.name} VALUES (NULL, NULL)`);
  }

  /**
   * A state database written before state was segmented holds dedup_state and aggregate_state without batch_id: it
   * becomes one segment (batch -1, older than any batch) with its newest row as bound, so nothing curated is
   * forgotten and the segment expires like any other.
   */
  private async migrateUnsegmentedState(): Promise<void> {
    const i = this.compiled.inputs;
    const segmented = [
      { kind: "dedup", table: i.dedupState.name, boundColumn: "received_at" },
      { kind: "aggregate", table: i.aggregateState.name, boundColumn: "window_start" },
    ] as const;
    for (const { kind, table, boundColumn } of segmented) {
      const columns = await this.query("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1", [table]);
      if (columns.length === 0 || columns.some((c) => c.column_name === "batch_id")) continue;
      // DuckDB cannot add a column with a NOT NULL constraint; the default fills the rows there are, and every insert
      // names the segment.
      await this.connection.run("BEGIN TRANSACTION");
      await this.connection.run(`CREATE TABLE IF NOT EXISTS ${STATE_SEGMENTS} (state VARCHAR NOT NULL, batch_id BIGINT NOT NULL, bound BIGINT NOT NULL)`);
      await this.connection.run(`ALTER TABLE ${table} ADD COLUMN batch_id BIGINT DEFAULT -1`);
      await this.connection.run(`INSERT INTO ${STATE_SEGMENTS} SELECT '${kind}', -1, max(epoch_us(${boundColumn})) FROM ${table} HAVING count(*) > 0`);
      await this.connection.run("COMMIT");
    }
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
    await this.connection.run(`INSERT INTO ${inputs.batch.name} VALUES ($1, $2)`, [id, timestampTZValue(toMicros(processingTime))]);
    await this.loadRecords(records);
    for (const s of statements) await this.connection.run(s.sql);
    this.batchId = id;
    return this.stats();
  }

  /**
   * (Re)creates the input relation with the records, in data chunks of DuckDB's vector size written straight into
   * its vectors: one native call per record (its bytes, copied once), the arrival times and NULL masks copied per
   * chunk. A record is text when it is valid UTF-8 by `isUtf8` (strict, like the Glue runner's
   * `decode_user_record`: no lone surrogates, no overlong forms), else NULL text and its bytes in base64 (the
   * contract's `raw_records`). The check happens here because DuckDB does not validate bytes assigned to a VARCHAR
   * vector; it replaces a `decode()` of every record in SQL (about 0.1-0.2 s per 200k records, bench/curation.ts).
   */
  async loadRecords(records: readonly RawRecord[]): Promise<void> {
    const { inputs } = this.compiled;
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${inputs.input.name} (${columnsDdl(this.compiled, "input")})`);
    const columns = inputs.input.columns.map((c) => c.name);
    if (columns.join() !== "data,data_base64,arrival_time") throw new Error(`loadRecords: unexpected ${inputs.input.name} columns ${columns.join(", ")}`);
    const appender = await this.connection.createAppender(inputs.input.name, "main", "temp");
    const dataChunk = DuckDBDataChunk.create([VARCHAR, VARCHAR, TIMESTAMPTZ]);
    const { chunk } = dataChunk;
    const [text, base64, arrival] = [0, 1, 2].map((i) => bindings.data_chunk_get_vector(chunk, i)) as [bindings.Vector, bindings.Vector, bindings.Vector];
    const maskBytes = CHUNK_ROWS / 8;
    const textValid = new Uint8Array(maskBytes);
    const base64Valid = new Uint8Array(maskBytes);
    const arrivalMicros = new BigInt64Array(CHUNK_ROWS);
    try {
      let lastArrival: Date | undefined;
      let micros = 0n;
      for (let start = 0; start < records.length; start += CHUNK_ROWS) {
        const size = Math.min(CHUNK_ROWS, records.length - start);
        bindings.data_chunk_reset(chunk);
        bindings.data_chunk_set_size(chunk, size);
        textValid.fill(0);
        base64Valid.fill(0);
        for (let i = 0; i < size; i++) {
          const r = records[start + i]!;
          const bit = 1 << (i & 7);
          if (isUtf8(r.data)) {
            bindings.vector_assign_string_element_len(text, i, r.data);
            textValid[i >> 3]! |= bit;
          } else {
            bindings.vector_assign_string_element_len(base64, i, Buffer.from(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString("base64"), "latin1"));
            base64Valid[i >> 3]! |= bit;
          }
          // Records of one Kinesis record share their arrival time: convert it once.
          if (r.arrivalTime !== lastArrival) {
            lastArrival = r.arrivalTime;
            micros = toMicros(r.arrivalTime);
          }
          arrivalMicros[i] = micros;
        }
        for (const [vector, mask] of [[text, textValid], [base64, base64Valid]] as const) {
          bindings.vector_ensure_validity_writable(vector);
          bindings.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, Math.ceil(size / 64) * 8);
        }
        bindings.copy_data_to_vector(arrival, 0, arrivalMicros.buffer, 0, size * 8);
        appender.appendDataChunk(dataChunk);
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
   * Makes the batch's state the state, in one transaction with the caller's statements (stream positions): either all
   * of it is durable or none of it is. Appends the batch's segments, replaces the watermark, and deletes the segments
   * whose bound fell below what a later batch reads (segment_bounds).
   */
  async commit(extra: readonly CommitStatement[] = []): Promise<void> {
    if (this.batchId === undefined) throw new Error("commit: no batch has run");
    const { inputs, outputs } = this.compiled;
    const batchId = this.batchId;
    const [bounds] = await this.query(`SELECT * FROM ${outputs.segmentBounds}`);
    const segmented = [
      { kind: "dedup", table: inputs.dedupState.name, segment: outputs.dedupSegment },
      { kind: "aggregate", table: inputs.aggregateState.name, segment: outputs.aggregateSegment },
    ] as const;
    // Expired segments, by id: the deletes below then filter on batch_id alone, which DuckDB answers from each row
    // group's min/max (segments are appended in batch order), so they touch the expired rows, not the window.
    const expired = new Map<string, bigint[]>();
    for (const { kind } of segmented) {
      const liveFrom = bounds![`${kind}_live_from`];
      if (liveFrom === null || liveFrom === undefined) continue;
      const rows = await this.query(`SELECT batch_id FROM ${STATE_SEGMENTS} WHERE state = $1 AND bound < $2 ORDER BY batch_id`, [kind, liveFrom]);
      expired.set(kind, rows.map((r) => BigInt(r.batch_id as bigint)));
    }
    await this.connection.run("BEGIN TRANSACTION");
    try {
      for (const { kind, table, segment } of segmented) {
        const bound = bounds![`${kind}_segment_bound`];
        if (bound !== null && bound !== undefined) {
          await this.connection.run(`INSERT INTO ${table} SELECT * FROM ${segment}`);
          await this.connection.run(`INSERT INTO ${STATE_SEGMENTS} VALUES ($1, $2, $3)`, [kind, batchId, bound]);
        }
        const ids = expired.get(kind) ?? [];
        if (ids.length > 0) {
          await this.connection.run(`DELETE FROM ${table} WHERE batch_id IN (${ids.join(", ")})`);
          await this.connection.run(`DELETE FROM ${STATE_SEGMENTS} WHERE state = $1 AND batch_id IN (${ids.join(", ")})`, [kind]);
        }
      }
      // next_watermark_state is materialized (a temp table): it no longer reads the row it replaces.
      await this.connection.run(`DELETE FROM ${inputs.watermarkState.name}`);
      await this.connection.run(`INSERT INTO ${inputs.watermarkState.name} SELECT * FROM ${outputs.watermarkState}`);
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
