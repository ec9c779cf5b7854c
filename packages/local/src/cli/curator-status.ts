/** The curated layer's part of `eventlake status`: what the local curator has committed, and how fresh it is. */
import type { CuratorStatus } from "../curator/curator";
import { n } from "./format";

export function formatCuratorStatus(status: CuratorStatus | undefined, now = Date.now()): string {
  if (!status) return "curated    no batch yet (the curator runs every 30 s while the pipeline is up)";
  const t = status.totals;
  const last = status.lastBatch;
  const age = last ? `${Math.max(0, Math.round((now - Date.parse(last.committedAt)) / 1000))} s ago` : "never";
  return [
    `curated    ${n(status.batchesCommitted)} batch(es) committed, last ${age}; ${status.caughtUp ? "caught up with the stream" : "behind: a backlog is being curated"}`,
    `           ${n(t.records)} records -> ${n(t.curated)} events (exactly once), ${n(t.duplicates)} duplicates removed, ${n(t.quarantined)} quarantined`,
    "           query them: npx eventlake query \"select event_type, count(*) from events group by 1\"",
  ].join("\n");
}
