/**
 * The raw archive's delivery settings, defined once: the SST stack (stacks/firehose.ts) configures the delivery
 * stream from them and the local Firehose (packages/emulators/src/firehose) runs with them. Sizes and intervals are per
 * stage (stage-config.ts, `rawArchive`).
 *
 * Partitioning is by ARRIVAL time with plain `!{timestamp:...}` expressions, not dynamic partitioning: dynamic
 * partitioning can only be chosen when the delivery stream is created and never turned off, forbids zero
 * buffering, is billed per GB and per object, caps active partitions (500 by default, over which records go to
 * the error output), and is not needed, because `!{timestamp:...}` already gives Hive-style `year=/month=/day=/
 * hour=` folders from the oldest record's arrival time. Event-time partitioning is the curated layer's job.
 */
import { LAKE_PREFIXES } from "../stage-config";

const HOURLY = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/";

export const RAW_ARCHIVE = {
  /** raw/year=YYYY/month=MM/day=dd/hour=HH/ by the oldest record's arrival time (UTC). */
  prefix: `${LAKE_PREFIXES.raw}${HOURLY}`,
  /** raw-errors/processing-failed/year=.../ (error documents with the record's original bytes). */
  errorOutputPrefix: `${LAKE_PREFIXES.rawErrors}!{firehose:error-output-type}/${HOURLY}`,
  compression: "GZIP",
  /** The transform Lambda's retries after a failed invocation (Firehose's default NumberOfRetries). */
  processorRetries: 3,
  /** The log stream Firehose writes delivery and invocation errors to (created with the log group). */
  logStreamName: "DestinationDelivery",
} as const;

/** The delivery stream's name for a stage: `eventlake-<stage>-raw-archive` (at most 64 characters). */
export function rawArchiveDeliveryStreamName(stage: string): string {
  return `eventlake-${stage}-raw-archive`.slice(0, 64);
}
