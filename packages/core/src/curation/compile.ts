/**
 * The curation compiler: one builder, two dialects. `compileSparkSql` and `compileDuckDbSql` (in their own modules)
 * call `compileCuration` with their dialect, so both engines run the same statements in the same order with the same
 * semantics; only function spellings differ. Pure: strings in, strings out.
 *
 * A micro-batch, as statements (each a named relation, created in order):
 *   raw_records -> parsed (one JSON parse per record) -> typed -> classified (first failing rule)
 *   classified -> out_quarantine (typed reason, raw payload)
 *   classified + dedup_state (entries inside the window) -> already_curated (this batch's messageIds seen before)
 *   classified -> batch_duplicates -> first_copies (one copy per messageId) -> out_events (minus already_curated)
 *   out_events -> curated_keys (the few columns every other reader needs, materialized once)
 *   curated_keys + watermark_state -> next_watermark_state
 *   curated_keys -> aggregate_input (+ late flag) -> aggregate_segment (this batch's counts per window, type, user)
 *   aggregate_segment + aggregate_state -> out_aggregates (windows this batch's watermark closes)
 *   curated_keys -> dedup_segment (this batch's curated messageIds)
 *   -> segment_bounds (what a runner needs to expire whole segments), batch_stats (counts for metrics and logs)
 *
 * State is append-only segments (ARCHITECTURE.md, "Curation state"): a batch reads the state through a filter that
 * admits only what is still inside the dedup window or an open aggregate window, and writes only its own segment, so
 * its work follows the batch plus one lookup, never the size of the window. A runner drops a segment once nothing in
 * it can pass the filter any more (segment_bounds), which changes no result.
 */
import { CURATION_CONTRACT, type CurationContract, type LogicalType, type TableDef, type ValidationRule } from "./contract";

export type Engine = "spark" | "duckdb";

/** Function spellings per engine. Every method returns a SQL expression string. */
export interface Dialect {
  engine: Engine;
  /** A string literal. */
  lit(value: string): string;
  type(t: LogicalType): string;
  /** True when `expr` is JSON text whose top level is an object; false (never NULL, never an error) otherwise. */
  isJsonObject(expr: string): string;
  /**
   * The FROM clause (with a boolean column `is_object`) and the column expressions that read top-level keys of a
   * JSON object as text: a string value unquoted, any other value as its JSON text, a missing key or JSON null as
   * NULL; every field NULL when the record is not a JSON object. `objectTests` (optional), one per `objectKeys`
   * entry: a boolean expression equal to `isJsonObject` of that key's column, for an engine that can answer it from
   * the record's one parse instead of parsing the field's text again; without it the rules call `isJsonObject`.
   */
  jsonFields(source: string, sourceColumn: string, keys: readonly string[], alias: string, objectKeys: readonly string[]): { from: string; columns: string[]; objectTests?: string[] };
  /**
   * The text of a JSON object value as `jsonFields` returned it -> the same JSON as both engines write it (minified,
   * non-ASCII characters as themselves). DuckDB's text is already that; Spark's writer (Jackson) escapes characters
   * outside the Basic Multilingual Plane as surrogate pairs (`\uD83D\uDE00` for an emoji), which Spark must undo.
   */
  objectText(expr: string): string;
  /** True when the whole of `expr` matches `pattern` (a regex with no backslashes, same in RE2 and Java). */
  fullMatch(expr: string, pattern: string): string;
  /** A string already matching the contract's timestamp pattern -> timestamp (UTC), NULL if not a real date. */
  parseTimestamp(expr: string): string;
  /** Timestamp -> microseconds since the epoch (BIGINT). */
  toMicros(expr: string): string;
  /** Microseconds since the epoch -> timestamp. */
  fromMicros(expr: string): string;
  /** Zero-padded UTC date part of a timestamp as a string: yyyy, MM or dd. */
  datePart(expr: string, part: "year" | "month" | "day"): string;
  /** Removes any of `chars` from both ends. */
  trimChars(expr: string, chars: string): string;
  /** Session settings the statements need (time zone UTC and so on), for the runner to apply. */
  settings: Record<string, string>;
  /** DDL for one statement. */
  create(name: string, query: string, materialize: boolean): string;
  /** Drops what `create` made (run after the batch's outputs are written). */
  drop(name: string, materialize: boolean): string;
}

export interface CompiledStatement {
  /** The relation this statement creates (a temp view or table). */
  name: string;
  /** The SELECT. */
  query: string;
  /**
   * The relation is read more than once: materialize it (DuckDB: a temp table, as `sql` does; Spark: persist the
   * DataFrame of `query` before registering it as a temp view).
   */
  materialize: boolean;
  /** The complete statement for this engine (CREATE OR REPLACE TEMP VIEW/TABLE name AS query). */
  sql: string;
  description: string;
}

export interface CompiledCuration {
  engine: Engine;
  contractVersion: number;
  /** Session settings the runner must apply before the statements. */
  settings: Record<string, string>;
  /** Relations the runner provides before running the statements (names and typed columns, for this engine). */
  inputs: Record<keyof CurationContract["relations"], { name: string; columns: { name: string; type: string; nullable: boolean }[] }>;
  /** In order. */
  statements: CompiledStatement[];
  /** Relations to read after the statements ran: what to write and what state to keep. */
  outputs: {
    /** -> tables.events (partition columns last: year, month, day, event_type). */
    events: string;
    /** -> tables.quarantine (partition columns last: year, month, day). */
    quarantine: string;
    /** -> tables.aggregates (partition columns last: year, month, day). */
    aggregates: string;
    /** This batch's segment of dedup_state (columns of dedup_state), added to the state with the checkpoint. */
    dedupSegment: string;
    /** This batch's segment of aggregate_state (columns of aggregate_state), added to the state with the checkpoint. */
    aggregateSegment: string;
    /** Replaces watermark_state for the next batch (one row). */
    watermarkState: string;
    /**
     * One row, for expiring whole segments (microseconds since the epoch, BIGINT): `<state>_segment_bound` is this
     * batch's segment's bound (its newest receivedAt, or its latest window start; NULL: the segment is empty, keep
     * none) and `<state>_live_from` the smallest bound a segment needs to still be read by a later batch (NULL: keep
     * every segment). `<state>` is dedup or aggregate. A segment whose bound is below live_from can be dropped: nothing
     * in it would pass a later batch's filter.
     */
    segmentBounds: string;
    /** One row: records, curated, duplicates, quarantined, late_events, aggregates, event_watermark. */
    stats: string;
  };
  /** Row order for writing each output table (empty: no order needed). */
  writeOrder: { events: string[]; quarantine: string[]; aggregates: string[] };
  /** Statements that drop the batch's relations (run after the outputs are written). */
  cleanup: string[];
}

/** The keys read from each record: canonical event fields and bad-row fields. */
const KEYS = [
  "kind",
  "formatVersion",
  "messageId",
  "type",
  "event",
  "name",
  "category",
  "groupId",
  "previousId",
  "userId",
  "anonymousId",
  "properties",
  "traits",
  "context",
  "originalTimestamp",
  "sentAt",
  "receivedAt",
  "timestamp",
  "sourceId",
  "schemaVersion",
  "schemaViolations",
  "reason",
  "message",
  "endpoint",
  "payload",
  "payloadTruncated",
] as const;
type Key = (typeof KEYS)[number];
/** Keys whose value must be a JSON object (rules invalid_field_type:<key>), kept as JSON text in `json` columns. */
const OBJECT_KEYS: readonly Key[] = ["properties", "traits", "context"];
const f = (key: Key) => `f_${key}`;
/** The column of `parsed` with a dialect's objectTests answer for a key. */
const objectFlag = (key: Key) => `f_${key}_is_object`;

/** What later statements read from `classified` (only these are kept: materializing costs per column). */
const CLASSIFIED_COLUMNS = [
  "data",
  "data_base64",
  "arrival_time",
  "message_id",
  "user_id",
  "anonymous_id",
  "source_id",
  "event_name",
  "received_at",
  "event_time",
  "original_timestamp",
  "sent_at",
  ...(["type", "event", "name", "category", "groupId", "previousId", "properties", "traits", "context", "schemaVersion", "schemaViolations"] as const).map(f),
  ...(["reason", "message", "endpoint", "payload", "payloadTruncated"] as const).map(f),
];

const TIMESTAMP_FIELDS = { receivedAt: "received_at", timestamp: "event_time", originalTimestamp: "original_timestamp", sentAt: "sent_at" } as const;

function floorMicros(dateIso: string): number {
  const ms = Date.parse(dateIso);
  if (Number.isNaN(ms)) throw new Error(`contract: bad timestamp floor ${dateIso}`);
  return ms * 1000;
}

/** The predicate (over `classified`'s typed columns) that fails a rule. */
function rulePredicate(rule: ValidationRule, contract: CurationContract, d: Dialect, objectTested: ReadonlySet<string>): string {
  const key = `${rule.reason}${rule.field ? `:${rule.field}` : ""}`;
  const tsRaw = (field: keyof typeof TIMESTAMP_FIELDS) => f(field);
  const tsCol = (field: keyof typeof TIMESTAMP_FIELDS) => `${TIMESTAMP_FIELDS[field]}`;
  const types = contract.eventTypes.map((t) => d.lit(t)).join(", ");
  switch (key) {
    case "undecodable_record":
      return "data IS NULL";
    case "malformed_record":
      return "NOT is_object";
    case "unknown_record_kind":
      return `(${f("kind")} IS NULL OR ${f("kind")} <> ${d.lit("event")})`;
    case "unsupported_format_version":
      return `(${f("formatVersion")} IS NULL OR ${f("formatVersion")} <> ${d.lit(contract.formatVersion)})`;
    case "missing_field:messageId":
      return "message_id IS NULL";
    case "missing_field:type":
      return `(${f("type")} IS NULL OR ${f("type")} = ${d.lit("")})`;
    case "unknown_type":
      return `${f("type")} NOT IN (${types})`;
    case "missing_identity":
      return "(user_id IS NULL AND anonymous_id IS NULL)";
    case "missing_field:event":
      return `(${f("type")} = ${d.lit("track")} AND (event_name IS NULL OR event_name = ${d.lit("")}))`;
    case "missing_field:sourceId":
      return "source_id IS NULL";
    case "missing_field:receivedAt":
    case "missing_field:timestamp":
      return `${f(rule.field as Key)} IS NULL`;
    case "invalid_timestamp:receivedAt":
    case "invalid_timestamp:timestamp":
    case "invalid_timestamp:originalTimestamp":
    case "invalid_timestamp:sentAt": {
      const field = rule.field as keyof typeof TIMESTAMP_FIELDS;
      return `(${tsRaw(field)} IS NOT NULL AND ${tsCol(field)} IS NULL)`;
    }
    case "timestamp_out_of_range": {
      const et = d.toMicros("event_time");
      const skew = contract.timestampBounds.maxFutureSkewSeconds * 1_000_000;
      return `(${et} < ${floorMicros(contract.timestampBounds.floor)} OR ${et} > ${d.toMicros("received_at")} + ${skew})`;
    }
    case "invalid_field_type:properties":
    case "invalid_field_type:traits":
    case "invalid_field_type:context": {
      const col = f(rule.field as Key);
      return `(${col} IS NOT NULL AND NOT ${objectTested.has(rule.field!) ? objectFlag(rule.field as Key) : d.isJsonObject(col)})`;
    }
    default:
      throw new Error(`curation compiler: no predicate for rule ${key}`);
  }
}

function columnsOf(table: TableDef): string[] {
  return [...table.columns.map((c) => c.name), ...table.partitionColumns.map((c) => c.name)];
}

function partitionExprs(table: TableDef, timeExpr: string, d: Dialect, extra: Record<string, string> = {}): string[] {
  return table.partitionColumns.map((p) => {
    if (p.name === "year" || p.name === "month" || p.name === "day") return `${d.datePart(timeExpr, p.name)} AS ${p.name}`;
    const e = extra[p.name];
    if (e === undefined) throw new Error(`curation compiler: no expression for partition ${p.name}`);
    return `${e} AS ${p.name}`;
  });
}

/** Compiles the contract into one micro-batch's statements for an engine. */
export function compileCuration(d: Dialect, contract: CurationContract = CURATION_CONTRACT): CompiledCuration {
  const R = contract.relations;
  const { events: EV, quarantine: QT, aggregates: AG } = contract.tables;
  const statements: CompiledStatement[] = [];
  const add = (name: string, materialize: boolean, description: string, query: string) =>
    statements.push({ name, query, materialize, sql: d.create(name, query, materialize), description });

  const lateMicros = contract.watermark.lateSeconds * 1_000_000;
  const windowMicros = contract.aggregates.windowSeconds * 1_000_000;
  const dedupMicros = contract.dedup.windowSeconds * 1_000_000;

  // 1. parsed: is the record a JSON object, and its top-level fields as text.
  const objectKeys = [...new Set(contract.rules.filter((r) => r.reason === "invalid_field_type" && r.field !== undefined).map((r) => r.field as Key))];
  const fields = d.jsonFields(R.input.name, "data", KEYS, "j", objectKeys);
  const objectTests = fields.objectTests ?? [];
  const objectTested = new Set(objectTests.length ? objectKeys : []);
  add(
    "parsed",
    false,
    "each record: a JSON object or not, and its top-level fields as text (NULL unless an object)",
    `SELECT data, data_base64, arrival_time, is_object, ${KEYS.map((k, i) => `${OBJECT_KEYS.includes(k) ? d.objectText(fields.columns[i]!) : fields.columns[i]} AS ${f(k)}`).join(", ")}${[...objectTested].map((k, i) => `, ${objectTests[i]} AS ${objectFlag(k as Key)}`).join("")}
FROM ${fields.from}`,
  );

  // 2. classified: typed values and the first failing rule.
  const trim = (e: string) => d.trimChars(e, contract.trimCharacters);
  const nullIfEmpty = (e: string) => `NULLIF(${e}, ${d.lit("")})`;
  const tsExpr = (raw: string) => `CASE WHEN ${d.fullMatch(raw, contract.timestampPattern)} THEN ${d.parseTimestamp(raw)} END`;
  const typed = [
    `${nullIfEmpty(f("messageId"))} AS message_id`,
    `${nullIfEmpty(f("userId"))} AS user_id`,
    `${nullIfEmpty(f("anonymousId"))} AS anonymous_id`,
    `${nullIfEmpty(f("sourceId"))} AS source_id`,
    `CASE WHEN ${f("type")} = ${d.lit("track")} THEN lower(${trim(f("event"))}) WHEN ${f("type")} IN (${d.lit("page")}, ${d.lit("screen")}) THEN ${nullIfEmpty(`lower(${trim(f("name"))})`)} END AS event_name`,
    ...Object.entries(TIMESTAMP_FIELDS).map(([k, col]) => `${tsExpr(f(k as Key))} AS ${col}`),
  ];
  add(
    "typed",
    false,
    "typed values: ids (empty -> NULL), normalized event name, timestamps (NULL when invalid)",
    `SELECT p.*, ${typed.join(", ")}
FROM parsed p`,
  );
  const isBadRow = `(data IS NOT NULL AND is_object AND ${f("kind")} = ${d.lit("bad_row")})`;
  const ruleCases = contract.rules.map((rule, i) => `WHEN ${rulePredicate(rule, contract, d, objectTested)} THEN ${i + 1}`);
  // The bad-row route comes right after the record is known to be an object (rule "malformed_record").
  const malformedAt = contract.rules.findIndex((r) => r.reason === "malformed_record");
  if (malformedAt < 0) throw new Error("curation compiler: the contract has no malformed_record rule");
  ruleCases.splice(malformedAt + 1, 0, `WHEN ${isBadRow} THEN 0`);
  add(
    "classified",
    true,
    "every record with the number of the first rule it fails (0: an ingest bad row; NULL: valid)",
    // The record text is kept only for rejected records (their quarantine payload): storing it costs per byte.
    `SELECT ${CLASSIFIED_COLUMNS.filter((c) => c !== "data").join(", ")}, rule_no, CASE WHEN rule_no IS NOT NULL THEN data END AS data
FROM (SELECT ${CLASSIFIED_COLUMNS.join(", ")}, CASE ${ruleCases.join(" ")} END AS rule_no FROM typed t) r`,
  );

  // 3. quarantine: one row per rejected record.
  const reasonCase = `CASE rule_no WHEN 0 THEN COALESCE(${nullIfEmpty(f("reason"))}, ${d.lit("unspecified")}) ${contract.rules
    .map((r, i) => `WHEN ${i + 1} THEN ${d.lit(r.reason)}`)
    .join(" ")} END`;
  const messageCase = `CASE rule_no WHEN 0 THEN COALESCE(${f("message")}, ${d.lit("")}) ${contract.rules.map((r, i) => `WHEN ${i + 1} THEN ${d.lit(r.message)}`).join(" ")} END`;
  const quarantineSelect: Record<string, string> = {
    reason: reasonCase,
    stage: `CASE WHEN rule_no = 0 THEN ${d.lit("ingest")} ELSE ${d.lit("curation")} END`,
    message: messageCase,
    message_id: "message_id",
    source_id: "source_id",
    endpoint: f("endpoint"),
    received_at: "received_at",
    arrival_time: "arrival_time",
    payload: `CASE WHEN data IS NULL THEN data_base64 WHEN rule_no = 0 THEN COALESCE(${f("payload")}, data) ELSE data END`,
    payload_encoding: `CASE WHEN data IS NULL THEN ${d.lit("base64")} ELSE ${d.lit("text")} END`,
    payload_truncated: `COALESCE(rule_no = 0 AND ${f("payloadTruncated")} = ${d.lit("true")}, false)`,
    processing_time: "b.processing_time",
    batch_id: "b.batch_id",
  };
  add(
    "out_quarantine",
    false,
    "quarantined records (typed reason, raw payload), partitioned by arrival date",
    `SELECT ${QT.columns.map((c) => `${exprFor(quarantineSelect, c.name)} AS ${c.name}`).join(", ")}, ${partitionExprs(QT, "arrival_time", d).join(", ")}
FROM classified CROSS JOIN ${R.batch.name} b
WHERE rule_no IS NOT NULL`,
  );

  // 4. valid events, deduplicated within the batch and against state. Only messageIds that occur more than once in
  // the batch are ranked, so the common case sorts nothing.
  const eventSelect: Record<string, string> = {
    event: f("event"),
    name: f("name"),
    category: f("category"),
    group_id: f("groupId"),
    previous_id: f("previousId"),
    properties: f("properties"),
    traits: f("traits"),
    context: f("context"),
    schema_version: f("schemaVersion"),
    schema_violations: f("schemaViolations"),
  };
  const rowColumns = [...EV.columns.filter((c) => c.name !== "processing_time" && c.name !== "batch_id").map((c) => `c.${exprFor(eventSelect, c.name)} AS ${c.name}`), `c.${f("type")} AS event_type`];
  const rowNames = [...EV.columns.filter((c) => c.name !== "processing_time" && c.name !== "batch_id").map((c) => c.name), "event_type"];
  // Copies of one messageId: the earliest receivedAt wins, then the smallest values column by column (NULL first),
  // so that whichever copy wins among equal ones, the curated row is the same.
  const sources = rowColumns.map((c) => c.slice(0, c.lastIndexOf(" AS ")));
  const tieBreak = [sources[rowNames.indexOf("received_at")]!, ...sources.filter((_, i) => rowNames[i] !== "received_at" && rowNames[i] !== "message_id")]
    .map((e) => `${e} ASC NULLS FIRST`)
    .join(", ");
  // The lookup: the only statement that reads dedup_state, once per batch. The semi join comes first, alone with the
  // state, so the batch's messageIds are the hash-join build side (Spark broadcasts them) and the state only streams
  // past them; written with the window filter beside it, DuckDB built the hash table on the 7.2M state rows instead
  // (1.4 s against 0.2 s, bench/state-scaling.ts). Then entries older than the window and segments of this or later
  // batches (a replay must read what it read the first time) are left out.
  add(
    "already_curated",
    true,
    "messageIds of this batch's valid records that an earlier batch curated within the dedup window",
    `SELECT DISTINCT m.message_id
FROM (SELECT s.message_id, s.received_at, s.batch_id FROM ${R.dedupState.name} s
  WHERE s.message_id IN (SELECT message_id FROM classified WHERE rule_no IS NULL)) m
  CROSS JOIN ${R.watermarkState.name} w CROSS JOIN ${R.batch.name} b
WHERE m.batch_id < b.batch_id AND ${d.toMicros("m.received_at")} >= ${d.toMicros("w.max_received_at")} - ${dedupMicros}`,
  );
  // Materialized: out_events is computed twice (for curated_keys and for the writer), and each time this GROUP BY of
  // every valid messageId would run again (about 1% of the local engine's batch, bench/curation.ts).
  add(
    "batch_duplicates",
    true,
    "messageIds that more than one valid record of the batch carries",
    `SELECT message_id FROM classified WHERE rule_no IS NULL GROUP BY message_id HAVING count(*) > 1`,
  );
  add(
    "first_copies",
    false,
    "valid events, one per messageId in the batch: the copy with the earliest receivedAt, then the smallest values",
    `SELECT ${rowColumns.join(", ")}
FROM classified c LEFT JOIN batch_duplicates d ON d.message_id = c.message_id
WHERE c.rule_no IS NULL AND d.message_id IS NULL
UNION ALL
SELECT ${rowNames.join(", ")}
FROM (SELECT ${rowColumns.join(", ")}, row_number() OVER (PARTITION BY c.message_id ORDER BY ${tieBreak}) AS copy_no
  FROM classified c JOIN batch_duplicates d ON d.message_id = c.message_id
  WHERE c.rule_no IS NULL) ranked
WHERE copy_no = 1`,
  );
  const outSelect: Record<string, string> = { processing_time: "b.processing_time", batch_id: "b.batch_id" };
  add(
    "out_events",
    false,
    "curated events: valid, first copy of each messageId, not curated by an earlier batch",
    `SELECT ${EV.columns.map((c) => `${outSelect[c.name] ?? `e.${c.name}`} AS ${c.name}`).join(", ")}, ${partitionExprs(EV, "e.event_time", d, { event_type: "e.event_type" }).join(", ")}
FROM first_copies e LEFT JOIN already_curated s ON s.message_id = e.message_id CROSS JOIN ${R.batch.name} b
WHERE s.message_id IS NULL`,
  );

  // The readers of out_events other than the writer need a few narrow columns: materialized once, they read those
  // instead of computing out_events (the batch's dedup: a GROUP BY of every messageId and two joins) once each.
  add(
    "curated_keys",
    true,
    "the columns of out_events that the watermark, aggregates, dedup segment and stats read",
    `SELECT message_id, received_at, event_time, event_type, user_id, anonymous_id, batch_id FROM out_events`,
  );

  // 5. watermark: max(least(event_time, received_at)) - late, never moving back; max(received_at) for dedup eviction.
  add(
    "next_watermark_state",
    true,
    "the watermark after this batch",
    `SELECT greatest(w.event_watermark, ${d.fromMicros(`${d.toMicros("m.max_clamped")} - ${lateMicros}`)}) AS event_watermark,
  greatest(w.max_received_at, m.max_received) AS max_received_at
FROM ${R.watermarkState.name} w CROSS JOIN (SELECT max(least(event_time, received_at)) AS max_clamped, max(received_at) AS max_received FROM curated_keys) m`,
  );

  // 6. aggregates: add this batch's events to the open windows, except late ones (their window already closed).
  const windowStart = d.fromMicros(`${d.toMicros("e.event_time")} - ${d.toMicros("e.event_time")} % ${windowMicros}`);
  add(
    "aggregate_input",
    false,
    "curated events of this batch with their window; late ones (window ended at or before the previous watermark) marked",
    `SELECT ws.window_start, ws.event_type, ws.user_key,
  (w.event_watermark IS NOT NULL AND ${d.toMicros("ws.window_start")} + ${windowMicros} <= ${d.toMicros("w.event_watermark")}) AS late
FROM (SELECT ${windowStart} AS window_start, e.event_type AS event_type,
    CASE WHEN e.user_id IS NOT NULL THEN ${d.lit("u:")} || e.user_id ELSE ${d.lit("a:")} || e.anonymous_id END AS user_key
  FROM curated_keys e) ws CROSS JOIN ${R.watermarkState.name} w`,
  );
  add(
    "aggregate_segment",
    true,
    "this batch's segment of aggregate_state: curated events per open window, event type and user",
    `SELECT a.window_start, a.event_type, a.user_key, CAST(count(*) AS BIGINT) AS events, b.batch_id
FROM aggregate_input a CROSS JOIN ${R.batch.name} b
WHERE NOT a.late
GROUP BY a.window_start, a.event_type, a.user_key, b.batch_id`,
  );
  const closedBy = (alias: string, watermark: string) =>
    `(${watermark} IS NOT NULL AND ${d.toMicros(`${alias}.window_start`)} + ${windowMicros} <= ${d.toMicros(watermark)})`;
  // A window closes in the batch whose watermark first passes its end: closed now, open before. Every row ever added
  // to it is still in the state then (a segment is dropped only once all its windows closed under an older watermark).
  const closing = (alias: string) => `${closedBy(alias, "nw.event_watermark")} AND NOT ${closedBy(alias, "pw.event_watermark")}`;
  const aggSelect: Record<string, string> = {
    window_start: "window_start",
    window_end: d.fromMicros(`${d.toMicros("window_start")} + ${windowMicros}`),
    event_type: "event_type",
    event_count: "event_count",
    unique_users: "unique_users",
    processing_time: "b.processing_time",
    batch_id: "b.batch_id",
  };
  add(
    "out_aggregates",
    false,
    "windows this batch's watermark closes: final counts over every segment and this batch, emitted once",
    `SELECT ${AG.columns.map((c) => `${exprFor(aggSelect, c.name)} AS ${c.name}`).join(", ")}, ${partitionExprs(AG, "window_start", d).join(", ")}
FROM (SELECT m.window_start, m.event_type, CAST(sum(m.events) AS BIGINT) AS event_count, count(DISTINCT m.user_key) AS unique_users
  FROM (SELECT s.window_start, s.event_type, s.user_key, s.events FROM ${R.aggregateState.name} s CROSS JOIN ${R.batch.name} sb WHERE s.batch_id < sb.batch_id
    UNION ALL SELECT window_start, event_type, user_key, events FROM aggregate_segment) m
    CROSS JOIN next_watermark_state nw CROSS JOIN ${R.watermarkState.name} pw
  WHERE ${closing("m")}
  GROUP BY m.window_start, m.event_type) a CROSS JOIN ${R.batch.name} b`,
  );

  // 7. dedup state: this batch's curated messageIds, its own segment.
  add(
    "dedup_segment",
    false,
    "this batch's segment of dedup_state: the messageIds it curated",
    `SELECT message_id, received_at, batch_id FROM curated_keys`,
  );
  add(
    "segment_bounds",
    false,
    "per segmented state: this batch's segment's bound and the smallest bound a later batch still reads",
    `SELECT
  (SELECT max(${d.toMicros("received_at")}) FROM dedup_segment) AS dedup_segment_bound,
  ${d.toMicros("w.max_received_at")} - ${dedupMicros} AS dedup_live_from,
  (SELECT max(${d.toMicros("window_start")}) FROM aggregate_segment) AS aggregate_segment_bound,
  ${d.toMicros("w.event_watermark")} - ${windowMicros} + 1 AS aggregate_live_from
FROM next_watermark_state w`,
  );

  add(
    "batch_stats",
    false,
    "one row of counts for this batch",
    `SELECT
  (SELECT count(*) FROM classified) AS records,
  (SELECT count(*) FROM curated_keys) AS curated,
  (SELECT count(*) FROM classified WHERE rule_no IS NULL) - (SELECT count(*) FROM curated_keys) AS duplicates,
  (SELECT count(*) FROM classified WHERE rule_no IS NOT NULL) AS quarantined,
  (SELECT count(*) FROM aggregate_input WHERE late) AS late_events,
  (SELECT count(*) FROM out_aggregates) AS aggregates,
  (SELECT event_watermark FROM next_watermark_state) AS event_watermark`,
  );

  const typedColumns = (cols: readonly { name: string; type: LogicalType; nullable: boolean }[]) =>
    cols.map((c) => ({ name: c.name, type: d.type(c.type), nullable: c.nullable }));
  const inputs = Object.fromEntries(
    Object.entries(R).map(([k, rel]) => [k, { name: rel.name, columns: typedColumns(rel.columns) }]),
  ) as CompiledCuration["inputs"];

  return {
    engine: d.engine,
    contractVersion: contract.version,
    settings: d.settings,
    inputs,
    statements,
    outputs: {
      events: "out_events",
      quarantine: "out_quarantine",
      aggregates: "out_aggregates",
      dedupSegment: "dedup_segment",
      aggregateSegment: "aggregate_segment",
      watermarkState: "next_watermark_state",
      segmentBounds: "segment_bounds",
      stats: "batch_stats",
    },
    writeOrder: {
      // None for events: rows come in arrival order, close to event time already, and a sort of the batch's widest
      // relation cost the local engine about a sixth of its time (bench/curation.ts).
      events: [],
      quarantine: ["arrival_time", "reason", "payload"],
      aggregates: ["window_start", "event_type"],
    },
    cleanup: [...statements].reverse().map((s) => d.drop(s.name, s.materialize)),
  };
}

function exprFor(select: Record<string, string>, column: string): string {
  return select[column] ?? column;
}

/** Column names of an output table in the order the outputs produce them (data columns, then partition columns). */
export function outputColumns(table: TableDef): string[] {
  return columnsOf(table);
}
