/**
 * For local components that are not Lambda functions (the Firehose stand-in, the curator, ...): publish metrics the
 * way a function would, as EMF lines, into `<dataDir>/metrics/emf-inbox.log`. The metrics collector reads that file
 * like the functions' log, so the alarm catalog sees them under the same namespace, name and dimensions as on AWS
 * (e.g. namespace "Glue", `glue.driver.streaming.maxConsumerLagInMs`, {JobName, JobRunId: "ALL", Type: "gauge"}, or
 * `eventlake/local` `EventsCurated` {service: "curation"}). Appends of one short line are atomic on local file
 * systems, so several writers may share the file.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { formatEmfLine, type EmfRecord } from "@eventlake/emulators/metrics/emf";
import { metricsDir } from "@eventlake/emulators/metrics/local-store";

export function emfInboxPath(dataDir: string): string {
  return join(metricsDir(dataDir), "emf-inbox.log");
}

/** Appends one EMF line (metrics sharing their dimensions); timestamp defaults to now. */
export function publishLocalMetrics(dataDir: string, record: Omit<EmfRecord, "timestampMs"> & { timestampMs?: number }): void {
  mkdirSync(metricsDir(dataDir), { recursive: true });
  appendFileSync(emfInboxPath(dataDir), `${formatEmfLine({ ...record, timestampMs: record.timestampMs ?? Date.now() })}\n`);
}
