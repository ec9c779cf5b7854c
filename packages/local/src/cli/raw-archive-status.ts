/** The raw archive's part of `eventlake status`: what the local Firehose persisted in <dataDir>/firehose/stats.json. */
import { rawFreshnessSeconds, readFirehoseStats, type FirehoseStats } from "@eventlake/emulators/firehose/state";
import { n } from "./format";

/** What `status` shows of the Firehose's persisted stats (their fields, defined there), plus the freshness now. */
export interface RawArchiveStatus
  extends Pick<FirehoseStats, "deliveryStreamName" | "pendingRecords" | "delivered" | "errorOutput" | "droppedRecords" | "lastDeliveryAt" | "lastError"> {
  /**
   * Age in seconds of the oldest record read from the stream but not yet delivered (Firehose's
   * DeliveryToS3.DataFreshness); null when the pipeline is not running (nothing is being delivered).
   */
  freshnessSeconds: number | null;
  transform: Pick<FirehoseStats["transform"], "invocations" | "failedInvocations">;
}

export function rawArchiveStatus(dataDir: string, running: boolean, nowMs: number = Date.now()): RawArchiveStatus | undefined {
  const stats = readFirehoseStats(dataDir);
  if (!stats) return undefined;
  return {
    deliveryStreamName: stats.deliveryStreamName,
    freshnessSeconds: running ? Math.round(rawFreshnessSeconds(stats, nowMs) * 10) / 10 : null,
    pendingRecords: stats.pendingRecords,
    delivered: stats.delivered,
    errorOutput: stats.errorOutput,
    droppedRecords: stats.droppedRecords,
    transform: { invocations: stats.transform.invocations, failedInvocations: stats.transform.failedInvocations },
    lastDeliveryAt: stats.lastDeliveryAt,
    lastError: stats.lastError,
  };
}

export function formatRawArchiveStatus(status: RawArchiveStatus | undefined): string {
  if (!status) return "raw archive  no deliveries yet (the local Firehose has not run in this data directory)";
  const freshness =
    status.freshnessSeconds === null
      ? "not delivering (pipeline stopped)"
      : status.pendingRecords === 0
        ? "fresh (nothing waiting)"
        : `${status.freshnessSeconds} s (oldest of ${n(status.pendingRecords)} record(s) waiting)`;
  const lines = [
    `raw archive  ${status.deliveryStreamName}: freshness ${freshness}`,
    `             delivered ${n(status.delivered.records)} record(s) in ${n(status.delivered.objects)} object(s) under raw/ ` +
      `(${n(status.delivered.bytes)} bytes, ${n(status.delivered.compressedBytes)} gzipped)`,
    `             ${status.errorOutput.records === 0 ? "no failed records" : `${n(status.errorOutput.records)} failed record(s) in ${n(status.errorOutput.objects)} object(s) under raw-errors/`}` +
      `${status.droppedRecords > 0 ? `, ${n(status.droppedRecords)} dropped by the transform` : ""}` +
      `; transform invocations ${n(status.transform.invocations)} (${n(status.transform.failedInvocations)} failed)`,
  ];
  if (status.lastError) lines.push(`             last error: ${status.lastError}`);
  return lines.join("\n");
}
