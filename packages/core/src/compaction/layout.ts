/**
 * Where compaction reads and writes in the lake: the curated tables' layout comes from the curation contract
 * (table prefix, Hive partition columns, the writers' deterministic file names); this module adds the compactor's
 * own names (compacted files, intent objects) and parses listed keys into partitions.
 *
 * Pure: string functions only (SHA-256 for deterministic names).
 */
import { hash } from "node:crypto";
import { CURATION_CONTRACT, type PartitionColumnDef, type TableDef } from "../curation/contract";
import { LAKE_PREFIXES } from "../stage-config";

/** The table the compactor keeps free of small files: `curated/events/`. */
export const COMPACTED_TABLE: TableDef = CURATION_CONTRACT.tables.events;

/**
 * Intent objects live outside every table's location (`curated/_compaction/intents/`): no table lists them, and the
 * leading underscore hides them from Athena/Hive even if a table were ever defined at `curated/`.
 */
export const INTENTS_PREFIX = `${LAKE_PREFIXES.curated}_compaction/intents/`;

/** Compacted files: `compacted-<32 hex>.parquet`. Never a writer's name (`part-<batch>-<n>.parquet`), so a replayed
 *  batch can never overwrite one. */
const COMPACTED_NAME = /^compacted-[0-9a-f]{32}\.parquet$/;

export type DataFileKind = "writer" | "compacted";

export interface ParsedDataKey {
  key: string;
  /** The partition's key prefix, ending in "/": `curated/events/year=2024/month=03/day=05/event_type=track/`. */
  partition: string;
  /** Partition values in path order. */
  values: Record<string, string>;
  name: string;
  /** "compacted" for this compactor's outputs; "writer" for any other data file (curator, Glue job). */
  kind: DataFileKind;
}

/** A Parquet data file readers see: not hidden (`_`/`.` prefix, as Athena/Hive hide them), ending in `.parquet`. */
export function isVisibleDataFileName(name: string): boolean {
  return name.endsWith(".parquet") && !name.startsWith("_") && !name.startsWith(".");
}

export function isCompactedFileName(name: string): boolean {
  return COMPACTED_NAME.test(name);
}

/**
 * Parses a listed key of `table` into its partition and file name; undefined for anything that is not a visible
 * data file directly inside a complete Hive partition of the table (in partitionColumns order).
 */
export function parseDataKey(key: string, table: TableDef = COMPACTED_TABLE): ParsedDataKey | undefined {
  if (!key.startsWith(table.prefix)) return undefined;
  const parts = key.slice(table.prefix.length).split("/");
  const columns = table.partitionColumns;
  if (parts.length !== columns.length + 1) return undefined;
  const values: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const segment = parts[i]!;
    const prefix = `${column.name}=`;
    if (!segment.startsWith(prefix) || segment.length === prefix.length) return undefined;
    values[column.name] = segment.slice(prefix.length);
  }
  const name = parts[columns.length]!;
  if (!isVisibleDataFileName(name)) return undefined;
  return {
    key,
    partition: key.slice(0, key.length - name.length),
    values,
    name,
    kind: isCompactedFileName(name) ? "compacted" : "writer",
  };
}

/**
 * The deterministic key of the file a set of inputs is merged into: in the inputs' partition, named after the
 * SHA-256 of the sorted input keys. The same inputs always give the same key (a re-run after a crash writes the same
 * object, and `If-None-Match: *` makes a second writer find it), different inputs practically never collide.
 */
export function compactedKey(partition: string, inputKeys: readonly string[]): string {
  if (!partition.endsWith("/")) throw new Error(`partition "${partition}" must end with "/"`);
  if (inputKeys.length === 0) throw new Error("a compacted file needs at least one input");
  for (const key of inputKeys) {
    if (!key.startsWith(partition) || key.slice(partition.length).includes("/")) {
      throw new Error(`input ${key} is not a file of partition ${partition}`);
    }
  }
  const digest = hash("sha256", [...inputKeys].sort().join("\n"), "hex").slice(0, 32);
  return `${partition}compacted-${digest}.parquet`;
}

/** The intent object of a compaction whose output is `outputKey`: `curated/_compaction/intents/<output key>.json`. */
export function intentKeyFor(outputKey: string): string {
  if (!outputKey.startsWith(LAKE_PREFIXES.curated)) throw new Error(`output ${outputKey} is not under ${LAKE_PREFIXES.curated}`);
  return `${INTENTS_PREFIX}${outputKey.slice(LAKE_PREFIXES.curated.length)}.json`;
}

/** A partition value as the writers format it: zero-padded to the projection's digits when it has them. */
function formatValue(column: PartitionColumnDef, n: number): string {
  const digits = column.projection.type === "integer" ? column.projection.digits : undefined;
  return digits ? String(n).padStart(digits, "0") : String(n);
}

/**
 * The key prefixes to list for partitions whose event day lies within `lookbackDays` of `now` (UTC days, newest
 * first): `curated/events/year=2024/month=03/day=05/`. Older days were compacted on earlier runs; listing the whole
 * table every hour would grow with its history. `lookbackDays` 0 lists the whole table (backfills). Requires the
 * contract's year/month/day partition columns.
 */
export function listingPrefixes(now: Date, lookbackDays: number, table: TableDef = COMPACTED_TABLE): string[] {
  const [year, month, day] = table.partitionColumns;
  if (year?.name !== "year" || month?.name !== "month" || day?.name !== "day") {
    throw new Error(`table ${table.name} is not partitioned by year/month/day first`);
  }
  if (!Number.isInteger(lookbackDays) || lookbackDays < 0) throw new Error("lookbackDays must be an integer >= 0");
  if (lookbackDays === 0) return [table.prefix];
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const out: string[] = [];
  for (let i = 0; i < lookbackDays; i++) {
    const d = new Date(start - i * 86_400_000);
    out.push(
      `${table.prefix}year=${formatValue(year, d.getUTCFullYear())}/month=${formatValue(month, d.getUTCMonth() + 1)}/day=${formatValue(day, d.getUTCDate())}/`,
    );
  }
  return out;
}
