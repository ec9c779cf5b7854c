/**
 * THE curation contract: what the curated layer holds and how a micro-batch of stream records becomes curated rows,
 * quarantined rows and aggregates. Defined once here; compiled to Spark SQL (the Glue streaming job) and to DuckDB SQL
 * (the local curator) by `compile-spark.ts` / `compile-duckdb.ts`; the Glue catalog tables derive from it
 * (`glueTableDefinitions`); the conformance suite (test/conformance/) pins its behaviour.
 *
 * STABLE API for the Glue side (glue/ runner, stacks/): `CURATION_CONTRACT`, `CurationContract`, the table, relation
 * and column shapes, `SQL_TYPES`, `dataFileName`, `partitionPath`, `glueDatabaseName`, `glueTableDefinitions`.
 * Changes are additive only (new columns at the end, new optional fields); see "Schema evolution" in ARCHITECTURE.md.
 *
 * Pure data and pure functions: no I/O, no clock, no environment.
 */
import { LAKE_PREFIXES } from "../stage-config";

/** Logical column types; each maps to one physical type per engine (SQL_TYPES). JSON is stored as text. */
export type LogicalType = "string" | "json" | "timestamp" | "bigint" | "boolean";

export interface EngineTypes {
  /** Parquet physical type and logical annotation. */
  parquet: string;
  /** Spark SQL type (DDL string). */
  spark: string;
  /** DuckDB type. */
  duckdb: string;
  /** Glue Data Catalog / Hive type. */
  glue: string;
}

/**
 * One timestamp unit everywhere: microseconds, UTC-adjusted. DuckDB writes TIMESTAMPTZ as INT64 TIMESTAMP(MICROS,
 * isAdjustedToUTC=true); Spark writes the same with spark.sql.parquet.outputTimestampType=TIMESTAMP_MICROS.
 */
export const SQL_TYPES: Readonly<Record<LogicalType, EngineTypes>> = {
  string: { parquet: "BYTE_ARRAY (STRING)", spark: "STRING", duckdb: "VARCHAR", glue: "string" },
  json: { parquet: "BYTE_ARRAY (STRING)", spark: "STRING", duckdb: "VARCHAR", glue: "string" },
  timestamp: { parquet: "INT64 (TIMESTAMP(MICROS,true))", spark: "TIMESTAMP", duckdb: "TIMESTAMPTZ", glue: "timestamp" },
  bigint: { parquet: "INT64", spark: "BIGINT", duckdb: "BIGINT", glue: "bigint" },
  boolean: { parquet: "BOOLEAN", spark: "BOOLEAN", duckdb: "BOOLEAN", glue: "boolean" },
};

export interface ColumnDef {
  name: string;
  type: LogicalType;
  nullable: boolean;
  /** Where the value comes from: a JSON path in the canonical event / bad row, or how it is derived. */
  source: string;
  description: string;
}

/** Partition columns are strings in the path (`year=2024/month=01/day=05/event_type=track`), not in the files. */
export interface PartitionColumnDef {
  name: string;
  description: string;
  /** Athena partition projection for this column (so no crawler and no MSCK are ever needed). */
  projection: { type: "integer"; range: readonly [number, number]; digits?: number } | { type: "enum"; values: readonly string[] };
}

export interface TableDef {
  /** Glue table name (and the DuckDB view name in `eventlake query`). */
  name: string;
  /** Key prefix in the lake bucket, ending in "/". */
  prefix: string;
  description: string;
  /** Data columns in file order. */
  columns: readonly ColumnDef[];
  /** Hive-style partition columns, in path order. */
  partitionColumns: readonly PartitionColumnDef[];
}

/** Why a record is quarantined at curation (ingest's reasons travel in bad rows and are kept as they are). */
export const CURATION_REJECTIONS = {
  undecodable_record: "the stream record is not valid UTF-8 (payload kept in base64)",
  malformed_record: "the stream record is not a JSON object",
  unknown_record_kind: 'the record\'s "kind" is neither "event" nor "bad_row"',
  unsupported_format_version: "the record's formatVersion is not one this contract reads",
  missing_field: "a required field is missing or empty",
  missing_identity: "userId or anonymousId is required",
  unknown_type: "type must be one of track, identify, page, screen, group, alias",
  invalid_field_type: "properties, traits and context must be JSON objects",
  invalid_timestamp: "a timestamp is not ISO-8601 UTC (YYYY-MM-DDTHH:MM:SS[.ffffff]Z) or not a real date",
  timestamp_out_of_range: "the event time is before the floor or too far after receivedAt",
} as const;
export type CurationRejectionReason = keyof typeof CURATION_REJECTIONS;

/** Per-record validation, in the order the rules are applied: the first failing rule is the quarantine reason. */
export interface ValidationRule {
  reason: CurationRejectionReason;
  /** Which canonical field the rule is about (for missing_field, invalid_field_type, invalid_timestamp). */
  field?: string;
  /** The `message` stored in quarantine. */
  message: string;
}

export interface CurationContract {
  /** Bumped only for incompatible changes (which the schema-evolution policy forbids for the tables). */
  version: 1;
  /** The only canonical record layout version read (CANONICAL_FORMAT_VERSION of the ingest side). */
  formatVersion: "1";
  /** Canonical event types; also the enum of the `event_type` partition. */
  eventTypes: readonly string[];
  /** Timestamps must match this (ISO-8601 UTC, "Z", up to microseconds) and be a real calendar date. */
  timestampPattern: string;
  timestampBounds: {
    /** Event times before this are out of range (ISO-8601 UTC). */
    floor: string;
    /** Event times more than this after the event's receivedAt are out of range. */
    maxFutureSkewSeconds: number;
  };
  /** Characters trimmed from both ends of event names before lower-casing. */
  trimCharacters: string;
  /** Validation rules in application order (first failure wins). */
  rules: readonly ValidationRule[];
  dedup: {
    /** The dedup key column. */
    key: "message_id";
    /**
     * Dedup state keeps each curated messageId for this long in arrival time: an entry is evicted once the largest
     * receivedAt seen is more than the window after its own receivedAt (a copy arriving later is curated again).
     * Within a batch, the copy with the earliest receivedAt is kept, then the one with the smallest values column by
     * column in table order (NULL first), so equal candidates give the same row.
     */
    windowSeconds: number;
  };
  watermark: {
    /**
     * Late-data watermark for aggregates: the largest least(event_time, received_at) seen, minus this. Clamping to
     * received_at (the server clock) stops one future-dated event from closing every window early.
     */
    lateSeconds: number;
  };
  aggregates: {
    /** Tumbling event-time windows, aligned to the Unix epoch. */
    windowSeconds: number;
    /** Grouping besides the window. */
    groupBy: readonly ["event_type"];
    /** Measures: event_count = curated events; unique_users = distinct user_key (userId, else anonymousId). */
    measures: readonly ["event_count", "unique_users"];
  };
  /** Engine inputs: relations the runner provides for each micro-batch (see RELATIONS). */
  relations: typeof RELATIONS;
  tables: { events: TableDef; quarantine: TableDef; aggregates: TableDef };
  output: {
    format: "parquet";
    compression: "zstd";
    timestampUnit: "MICROS";
    /** `part-<batchId padded to 10 digits>-<n>.parquet`: a replayed batch rewrites the same names. */
    fileNamePattern: string;
  };
}

const TIMESTAMP_PATTERN = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?Z";

/** Columns of the relations a runner provides per micro-batch, and of the state it keeps between batches. */
export const RELATIONS = {
  /**
   * The micro-batch: one row per user record (after KPL de-aggregation).
   * `data`: the record as UTF-8 text, NULL when the bytes are not valid UTF-8; `data_base64`: the bytes in base64,
   * set only when `data` is NULL; `arrival_time`: the stream's ApproximateArrivalTimestamp of the record.
   */
  input: {
    name: "raw_records",
    columns: [
      { name: "data", type: "string", nullable: true, source: "record bytes decoded as UTF-8", description: "NULL when not valid UTF-8" },
      { name: "data_base64", type: "string", nullable: true, source: "record bytes, base64", description: "only when data is NULL" },
      { name: "arrival_time", type: "timestamp", nullable: false, source: "ApproximateArrivalTimestamp", description: "stream arrival time" },
    ],
  },
  /** Exactly one row: the batch's id (deterministic, from the checkpoint) and its processing time. */
  batch: {
    name: "batch_info",
    columns: [
      { name: "batch_id", type: "bigint", nullable: false, source: "runner", description: "micro-batch id (Spark's batchId)" },
      { name: "processing_time", type: "timestamp", nullable: false, source: "runner clock", description: "when the batch ran" },
    ],
  },
  /**
   * Dedup state: messageIds already curated, with the receivedAt of the curated copy, as immutable segments (one per
   * batch that curated events; `batch_id` names it). The statements only read the entries still inside the window,
   * so a runner may keep a segment until every entry in it is out (ARCHITECTURE.md, "Curation state"). Empty at first.
   */
  dedupState: {
    name: "dedup_state",
    columns: [
      { name: "message_id", type: "string", nullable: false, source: "curated events", description: "dedup key" },
      { name: "received_at", type: "timestamp", nullable: false, source: "curated events", description: "eviction clock" },
      { name: "batch_id", type: "bigint", nullable: false, source: "batch_info.batch_id", description: "the segment: the batch that curated it" },
    ],
  },
  /**
   * Aggregate state: per batch (its segment), window, event type and user, the number of curated events that batch
   * added to a window still open. The statements only read windows the watermark has not closed before this batch.
   * Empty at first.
   */
  aggregateState: {
    name: "aggregate_state",
    columns: [
      { name: "window_start", type: "timestamp", nullable: false, source: "event_time", description: "window start" },
      { name: "event_type", type: "string", nullable: false, source: "type", description: "event type" },
      { name: "user_key", type: "string", nullable: false, source: "'u:'||userId, else 'a:'||anonymousId", description: "user" },
      { name: "events", type: "bigint", nullable: false, source: "count", description: "curated events" },
      { name: "batch_id", type: "bigint", nullable: false, source: "batch_info.batch_id", description: "the segment: the batch that added them" },
    ],
  },
  /** Exactly one row; both NULL before the first event. */
  watermarkState: {
    name: "watermark_state",
    columns: [
      { name: "event_watermark", type: "timestamp", nullable: true, source: "max(least(event_time, received_at)) - late", description: "aggregate watermark" },
      { name: "max_received_at", type: "timestamp", nullable: true, source: "max(received_at)", description: "dedup eviction clock" },
    ],
  },
} as const satisfies Record<string, { name: string; columns: readonly ColumnDef[] }>;

const ts = (name: string, nullable: boolean, source: string, description: string): ColumnDef => ({ name, type: "timestamp", nullable, source, description });
const str = (name: string, nullable: boolean, source: string, description: string): ColumnDef => ({ name, type: "string", nullable, source, description });
const json = (name: string, source: string, description: string): ColumnDef => ({ name, type: "json", nullable: true, source, description });

const BATCH_COLUMNS: readonly ColumnDef[] = [
  ts("processing_time", false, "batch_info.processing_time", "when the micro-batch that wrote the row ran"),
  { name: "batch_id", type: "bigint", nullable: false, source: "batch_info.batch_id", description: "the micro-batch that wrote the row" },
];

const DATE_PARTITIONS = (of: string): PartitionColumnDef[] => [
  { name: "year", description: `UTC year of ${of}`, projection: { type: "integer", range: [2000, 2099] } },
  { name: "month", description: `UTC month of ${of}, 01-12`, projection: { type: "integer", range: [1, 12], digits: 2 } },
  { name: "day", description: `UTC day of ${of}, 01-31`, projection: { type: "integer", range: [1, 31], digits: 2 } },
];

const EVENT_TYPES = ["track", "identify", "page", "screen", "group", "alias"] as const;

const EVENTS_TABLE: TableDef = {
  name: "events",
  prefix: `${LAKE_PREFIXES.curated}events/`,
  description: "Valid events, each messageId once, partitioned by the event's UTC time and type",
  columns: [
    str("message_id", false, "$.messageId", "unique event id (dedup key)"),
    str("event_name", true, "lower(trim($.event)) for track; lower(trim($.name)) for page and screen", "normalized event name"),
    str("event", true, "$.event", "track event name as sent"),
    str("name", true, "$.name", "page or screen name as sent"),
    str("category", true, "$.category", "page category"),
    str("user_id", true, "$.userId (empty -> NULL)", "user id"),
    str("anonymous_id", true, "$.anonymousId (empty -> NULL)", "anonymous id"),
    str("group_id", true, "$.groupId", "group id (group events)"),
    str("previous_id", true, "$.previousId", "previous id (alias events)"),
    json("properties", "$.properties", "event properties, JSON text (use json_extract in Athena)"),
    json("traits", "$.traits", "user or group traits, JSON text"),
    json("context", "$.context", "context (library, page, device ...), JSON text"),
    ts("event_time", false, "$.timestamp", "event time, clock-skew corrected (UTC)"),
    ts("original_timestamp", true, "$.originalTimestamp", "the client's timestamp as sent"),
    ts("sent_at", true, "$.sentAt", "when the client sent the event"),
    ts("received_at", false, "$.receivedAt", "when the API received the event (server clock)"),
    str("source_id", false, "$.sourceId", "source (write key) the event came from"),
    str("schema_version", true, "$.schemaVersion", "registered JSON Schema version the event matched"),
    ...BATCH_COLUMNS,
    // Added after the first release: new columns go at the end ("Schema evolution" in ARCHITECTURE.md).
    json(
      "schema_violations",
      "$.schemaViolations",
      'how the event does not match its "tag" schema: JSON array of {schemaVersion, path, message}; NULL when it matches',
    ),
  ],
  partitionColumns: [
    ...DATE_PARTITIONS("event_time"),
    { name: "event_type", description: "the event's type", projection: { type: "enum", values: EVENT_TYPES } },
  ],
};

const QUARANTINE_TABLE: TableDef = {
  name: "quarantine",
  prefix: LAKE_PREFIXES.quarantine,
  description: "Rejected records, one row per event (never per batch), partitioned by stream arrival date",
  columns: [
    str("reason", false, "bad row $.reason (stage ingest) or the curation rule that failed", "typed reason"),
    str("stage", false, "'ingest' for bad rows, 'curation' for records rejected here", "who rejected it"),
    str("message", false, "bad row $.message or the rule's message", "human-readable reason"),
    str("message_id", true, "$.messageId when readable", "event id, if any"),
    str("source_id", true, "$.sourceId when readable", "source, if known"),
    str("endpoint", true, "bad row $.endpoint", "API endpoint that received it (bad rows)"),
    ts("received_at", true, "$.receivedAt when a valid timestamp", "when the API received it"),
    ts("arrival_time", false, "raw_records.arrival_time", "when it arrived on the stream"),
    str("payload", false, "bad row $.payload; else the whole record text; else its base64", "the original payload"),
    str("payload_encoding", false, "'base64' for undecodable records, else 'text'", "payload encoding"),
    { name: "payload_truncated", type: "boolean", nullable: false, source: "bad row $.payloadTruncated", description: "payload was cut at ingest" },
    ...BATCH_COLUMNS,
  ],
  partitionColumns: DATE_PARTITIONS("arrival_time"),
};

const AGGREGATES_TABLE: TableDef = {
  name: "aggregates",
  prefix: LAKE_PREFIXES.aggregates,
  description: "Finalized 5-minute event-time windows per event type (emitted once the watermark passes the window end)",
  columns: [
    ts("window_start", false, "event_time floored to the window", "window start (inclusive)"),
    ts("window_end", false, "window_start + window", "window end (exclusive)"),
    str("event_type", false, "type", "event type"),
    { name: "event_count", type: "bigint", nullable: false, source: "count(*)", description: "curated events in the window" },
    { name: "unique_users", type: "bigint", nullable: false, source: "count(distinct user_key)", description: "distinct users (userId, else anonymousId)" },
    ...BATCH_COLUMNS,
  ],
  partitionColumns: DATE_PARTITIONS("window_start"),
};

const RULES: readonly ValidationRule[] = [
  { reason: "undecodable_record", message: CURATION_REJECTIONS.undecodable_record },
  { reason: "malformed_record", message: CURATION_REJECTIONS.malformed_record },
  { reason: "unknown_record_kind", message: CURATION_REJECTIONS.unknown_record_kind },
  { reason: "unsupported_format_version", message: CURATION_REJECTIONS.unsupported_format_version },
  { reason: "missing_field", field: "messageId", message: "messageId is required" },
  { reason: "missing_field", field: "type", message: "type is required" },
  { reason: "unknown_type", message: CURATION_REJECTIONS.unknown_type },
  { reason: "missing_identity", message: CURATION_REJECTIONS.missing_identity },
  { reason: "missing_field", field: "event", message: "event is required for track events" },
  { reason: "missing_field", field: "sourceId", message: "sourceId is required" },
  { reason: "missing_field", field: "receivedAt", message: "receivedAt is required" },
  { reason: "missing_field", field: "timestamp", message: "timestamp is required" },
  { reason: "invalid_timestamp", field: "receivedAt", message: "receivedAt is not an ISO-8601 UTC timestamp" },
  { reason: "invalid_timestamp", field: "timestamp", message: "timestamp is not an ISO-8601 UTC timestamp" },
  { reason: "invalid_timestamp", field: "originalTimestamp", message: "originalTimestamp is not an ISO-8601 UTC timestamp" },
  { reason: "invalid_timestamp", field: "sentAt", message: "sentAt is not an ISO-8601 UTC timestamp" },
  { reason: "timestamp_out_of_range", message: CURATION_REJECTIONS.timestamp_out_of_range },
  { reason: "invalid_field_type", field: "properties", message: "properties must be a JSON object" },
  { reason: "invalid_field_type", field: "traits", message: "traits must be a JSON object" },
  { reason: "invalid_field_type", field: "context", message: "context must be a JSON object" },
];

export const CURATION_CONTRACT: CurationContract = {
  version: 1,
  formatVersion: "1",
  eventTypes: EVENT_TYPES,
  timestampPattern: TIMESTAMP_PATTERN,
  timestampBounds: { floor: "2000-01-01T00:00:00Z", maxFutureSkewSeconds: 24 * 60 * 60 },
  trimCharacters: " \t\n\r",
  rules: RULES,
  dedup: { key: "message_id", windowSeconds: 60 * 60 },
  watermark: { lateSeconds: 10 * 60 },
  aggregates: { windowSeconds: 5 * 60, groupBy: ["event_type"], measures: ["event_count", "unique_users"] },
  relations: RELATIONS,
  tables: { events: EVENTS_TABLE, quarantine: QUARANTINE_TABLE, aggregates: AGGREGATES_TABLE },
  output: { format: "parquet", compression: "zstd", timestampUnit: "MICROS", fileNamePattern: "part-<batchId:10 digits>-<n>.parquet" },
};

export type CuratedTableName = keyof CurationContract["tables"];

/** Deterministic data file name of the n-th file a batch writes into one partition (n from 0). */
export function dataFileName(batchId: number | bigint, n = 0): string {
  const id = BigInt(batchId);
  if (id < 0n || id > 9_999_999_999n) throw new RangeError(`batch id out of range: ${batchId}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`file index must be a non-negative integer: ${n}`);
  return `part-${id.toString().padStart(10, "0")}-${n}.parquet`;
}

/** Parses a name written by dataFileName; undefined for any other name. */
export function parseDataFileName(name: string): { batchId: bigint; n: number } | undefined {
  const m = /^part-(\d{10})-(\d+)\.parquet$/.exec(name);
  return m ? { batchId: BigInt(m[1]!), n: Number(m[2]) } : undefined;
}

/** `year=2024/month=01/day=05/event_type=track/` for a table's partition values (in partitionColumns order). */
export function partitionPath(table: TableDef, values: Readonly<Record<string, string>>): string {
  return table.partitionColumns
    .map((c) => {
      const v = values[c.name];
      if (v === undefined || v === "" || /[/=]/.test(v)) throw new Error(`bad value for partition ${c.name}: ${JSON.stringify(v)}`);
      return `${c.name}=${v}/`;
    })
    .join("");
}

/** Glue database of a stage's tables: `eventlake_<stage>` (Glue and Athena want lower case, digits, underscores). */
/**
 * The Glue database of a stage. On AWS `instance` identifies the stage's lake (stacks/catalog.ts: a hash of the
 * lake bucket's name): a production stage's database is retained when the stage is removed, and a re-created
 * stage (with its new bucket) must not collide with it. Locally there is one lake: no instance.
 */
export function glueDatabaseName(stage: string, instance?: string): string {
  const s = stage.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const i = instance?.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return i ? `eventlake_${s}_${i}` : `eventlake_${s}`;
}

export interface GlueColumn {
  name: string;
  type: string;
  comment: string;
}

/** A Glue catalog table derived from the contract: external Parquet table with partition projection. */
export interface GlueTableDefinition {
  name: string;
  description: string;
  /** Key prefix in the lake bucket ("curated/events/"); location = s3://<bucket>/<prefix>. */
  prefix: string;
  tableType: "EXTERNAL_TABLE";
  columns: GlueColumn[];
  partitionKeys: GlueColumn[];
  /** Table parameters: classification, compression and Athena partition projection (no location template needed:
   *  the paths are Hive-style, which is projection's default layout). */
  parameters: Record<string, string>;
  storage: { inputFormat: string; outputFormat: string; serializationLibrary: string; serdeParameters: Record<string, string> };
}

/** The Glue tables (events, quarantine, aggregates) for the stacks. */
export function glueTableDefinitions(contract: CurationContract = CURATION_CONTRACT): GlueTableDefinition[] {
  return Object.values(contract.tables).map((table: TableDef) => {
    const parameters: Record<string, string> = {
      EXTERNAL: "TRUE",
      classification: "parquet",
      "parquet.compression": contract.output.compression.toUpperCase(),
      "projection.enabled": "true",
    };
    for (const p of table.partitionColumns) {
      const key = `projection.${p.name}`;
      parameters[`${key}.type`] = p.projection.type;
      if (p.projection.type === "enum") {
        parameters[`${key}.values`] = p.projection.values.join(",");
      } else {
        parameters[`${key}.range`] = p.projection.range.join(",");
        if (p.projection.digits !== undefined) parameters[`${key}.digits`] = String(p.projection.digits);
      }
    }
    return {
      name: table.name,
      description: table.description,
      prefix: table.prefix,
      tableType: "EXTERNAL_TABLE" as const,
      columns: table.columns.map((c) => ({ name: c.name, type: SQL_TYPES[c.type].glue, comment: c.description })),
      partitionKeys: table.partitionColumns.map((c) => ({ name: c.name, type: "string", comment: c.description })),
      parameters,
      storage: {
        inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        serdeParameters: { "serialization.format": "1" },
      },
    };
  });
}
