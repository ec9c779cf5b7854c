/**
 * The Glue streaming job's plan: the curation contract compiled to Spark SQL (compile-spark.ts), plus what the
 * generic Python runner (glue/eventlake_job.py) needs to orchestrate a micro-batch without knowing anything about
 * curation: which relations it provides, which it persists, which it writes where (prefix, partition columns, row
 * order), which it keeps as state for the next batch, and which counts it publishes as metrics.
 *
 * Built at deploy time by stacks/glue.ts (uploaded as JSON next to the script, under a content-addressed key), so
 * there is no generated file to go stale. Pure: no I/O.
 */
import { CUSTOM_METRICS } from "../metrics/catalog";
import { compileSparkSql } from "../curation/compile-spark";
import { CURATION_CONTRACT, type CurationContract, type TableDef } from "../curation/contract";
import type { CompiledCuration } from "../curation/compile";

export const GLUE_PLAN_FORMAT = "eventlake.glue-curation-plan";
/** 2: dedup and aggregate state are append-only segments (PlanState.segments). */
export const GLUE_PLAN_VERSION = 2;

export interface PlanColumn {
  name: string;
  /** Spark SQL type (DDL). */
  type: string;
  nullable: boolean;
}

export interface PlanRelation {
  name: string;
  columns: PlanColumn[];
}

export interface PlanStatement {
  /** The relation (temp view) it creates. */
  name: string;
  /** The complete statement (CREATE OR REPLACE TEMPORARY VIEW name AS query). */
  sql: string;
  /** The SELECT alone, for statements the runner persists (materialize) before registering them. */
  query: string;
  materialize: boolean;
}

export interface PlanTable {
  /** Catalog table name (events, quarantine, aggregates). */
  name: string;
  /** The relation holding its rows after the statements ran. */
  relation: string;
  /** Key prefix in the lake bucket, ending in "/". */
  prefix: string;
  /** Data columns in file order (the relation has these, then the partition columns). */
  columns: string[];
  partitionColumns: string[];
  /** Sort order of rows within each file. */
  writeOrder: string[];
}

export interface PlanState {
  /** Folder name under the state prefix. */
  name: string;
  /** The relation the statements read (the state the previous batch left). */
  input: string;
  /**
   * The relation holding what to keep after this batch: the whole next state, or with `segments` only this batch's
   * segment, which the runner adds to the live segments.
   */
  output: string;
  columns: PlanColumn[];
  /** Before the first batch: no rows, or exactly one row of NULLs (the watermark). */
  initial: "empty" | "null-row";
  /**
   * Set for append-only state: the input is the union of the live segments, the output one new segment. The columns
   * of the plan's `segmentBounds` relation that say what to keep: `bound` is this batch's segment's (NULL: empty, write
   * nothing), `liveFrom` the smallest bound a later batch still reads (NULL: keep all); a segment whose bound is below
   * liveFrom is dropped.
   */
  segments?: { bound: string; liveFrom: string };
}

export interface PlanMetric {
  /** Column of the stats relation. */
  column: string;
  /** CloudWatch metric name (namespace: the stage's, metricsNamespace()). */
  metric: string;
}

export interface GlueJobPlan {
  format: typeof GLUE_PLAN_FORMAT;
  version: typeof GLUE_PLAN_VERSION;
  contractVersion: number;
  /** Spark session settings, applied before the first batch. */
  settings: Record<string, string>;
  /** The micro-batch's records (the runner builds it from the stream: de-aggregated, decoded). */
  records: PlanRelation;
  /** One row: batch_id, processing_time. */
  batch: PlanRelation;
  state: PlanState[];
  /** One row: the columns PlanState.segments names. */
  segmentBounds: string;
  /** In order. */
  statements: PlanStatement[];
  tables: PlanTable[];
  /** Counts of the batch, published to the stage's namespace with exactly these dimensions. */
  stats: { relation: string; dimensions: Record<string, string>; metrics: PlanMetric[] };
  /** Run after the outputs are written (drops the batch's temp views). */
  cleanup: string[];
}

/**
 * Per-batch counts the job publishes (the local curator may publish the same): keys are columns of the compiled
 * `batch_stats` relation. EventsCurated and EventsQuarantined are the names the alarm catalog's quarantine-rate
 * alarm reads (the metric catalog, packages/core/src/metrics/catalog.ts), with the dimension {service}.
 */
export const CURATION_METRICS = {
  records: CUSTOM_METRICS.curation.records,
  curated: CUSTOM_METRICS.curation.eventsCurated,
  duplicates: CUSTOM_METRICS.curation.duplicates,
  quarantined: CUSTOM_METRICS.curation.eventsQuarantined,
  late_events: CUSTOM_METRICS.curation.lateEvents,
  aggregates: CUSTOM_METRICS.curation.aggregateWindows,
} as const;

/** The dimensions of the curation metrics (exactly these, or the alarms do not see them). */
export const CURATION_METRIC_DIMENSIONS = { service: CUSTOM_METRICS.curation.service } as const;

function tablePlan(table: TableDef, relation: string, writeOrder: string[]): PlanTable {
  return {
    name: table.name,
    relation,
    prefix: table.prefix,
    columns: table.columns.map((c) => c.name),
    partitionColumns: table.partitionColumns.map((c) => c.name),
    writeOrder,
  };
}

/** The plan for the contract (default: THE contract), from its Spark SQL compilation. */
export function buildGlueJobPlan(contract: CurationContract = CURATION_CONTRACT, compiled: CompiledCuration = compileSparkSql(contract)): GlueJobPlan {
  if (compiled.engine !== "spark") throw new Error(`the Glue job runs Spark SQL, not ${compiled.engine}`);
  const { inputs, outputs, writeOrder } = compiled;
  const { tables } = contract;
  return {
    format: GLUE_PLAN_FORMAT,
    version: GLUE_PLAN_VERSION,
    contractVersion: compiled.contractVersion,
    settings: { ...compiled.settings },
    records: inputs.input,
    batch: inputs.batch,
    state: [
      {
        name: "dedup",
        input: inputs.dedupState.name,
        output: outputs.dedupSegment,
        columns: inputs.dedupState.columns,
        initial: "empty",
        segments: { bound: "dedup_segment_bound", liveFrom: "dedup_live_from" },
      },
      {
        name: "aggregates",
        input: inputs.aggregateState.name,
        output: outputs.aggregateSegment,
        columns: inputs.aggregateState.columns,
        initial: "empty",
        segments: { bound: "aggregate_segment_bound", liveFrom: "aggregate_live_from" },
      },
      { name: "watermark", input: inputs.watermarkState.name, output: outputs.watermarkState, columns: inputs.watermarkState.columns, initial: "null-row" },
    ],
    segmentBounds: outputs.segmentBounds,
    statements: compiled.statements.map((s) => ({ name: s.name, sql: s.sql, query: s.query, materialize: s.materialize })),
    tables: [
      tablePlan(tables.events, outputs.events, writeOrder.events),
      tablePlan(tables.quarantine, outputs.quarantine, writeOrder.quarantine),
      tablePlan(tables.aggregates, outputs.aggregates, writeOrder.aggregates),
    ],
    stats: {
      relation: outputs.stats,
      dimensions: { ...CURATION_METRIC_DIMENSIONS },
      metrics: Object.entries(CURATION_METRICS).map(([column, metric]) => ({ column, metric })),
    },
    cleanup: [...compiled.cleanup],
  };
}

/** The plan as the JSON document the job reads (stable key order, so its content hash only changes with it). */
export function glueJobPlanJson(plan: GlueJobPlan = buildGlueJobPlan()): string {
  return `${JSON.stringify(plan, null, 1)}\n`;
}
