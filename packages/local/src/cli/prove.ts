/**
 * `eventlake prove`: the fault matrix (ARCHITECTURE.md, "Guarantees") on this machine. Each cell runs a fresh local pipeline in a child
 * process under one fault, sends clickstream with known messageIds, and reconciles the lake against exactly what the
 * client was answered. `npm run proof` runs it at full size.
 */
import { FAULT_CELLS, runFaultMatrix, type CellResult } from "../proof/fault-matrix";
import { n, table } from "./format";

function evidence(r: CellResult): string {
  const e = r.evidence;
  const parts: string[] = [];
  if (e.injected?.putRecordsEntries) parts.push(`${n(e.injected.putRecordsEntries)} entries failed`);
  if (e.injected?.throttledCalls) parts.push(`${n(e.injected.throttledCalls)} calls throttled`);
  if (e.injected?.objectStoreErrors) parts.push(`${n(e.injected.objectStoreErrors)} S3 errors`);
  if (e.injected?.slowedInvocations) parts.push(`${n(e.injected.slowedInvocations)} slowed invocations`);
  if (e.shardThrottledRecords) parts.push(`${n(e.shardThrottledRecords)} writes over the shard limit`);
  if (e.kills) parts.push(`${e.kills} kills, ${e.restarts} restarts`);
  if (e.clientRetries) parts.push(`${n(e.clientRetries)} client retries`);
  return parts.join(", ") || "-";
}

export async function runProve(options: { events: number; kills: number; cells?: string; json: boolean; keep: boolean; verbose: boolean }) {
  const cells = options.cells?.split(",").map((c) => c.trim()).filter(Boolean);
  if (options.kills < 1) {
    console.error("eventlake prove: --kills must be at least 1");
    process.exit(1);
  }
  const unknown = (cells ?? []).filter((c) => !FAULT_CELLS.some((cell) => cell.name === c));
  if (unknown.length) {
    console.error(`eventlake prove: unknown cell(s) ${unknown.join(", ")}; the cells are: ${FAULT_CELLS.map((c) => c.name).join(", ")}`);
    process.exit(1);
  }
  const chosen = FAULT_CELLS.filter((c) => !cells || cells.includes(c.name));
  if (!options.json) {
    console.log(`eventlake prove: ${chosen.length} cell(s), ${n(options.events)} events each (5% invalid), each in a fresh pipeline in a child process\n`);
  }
  const results = await runFaultMatrix({
    events: options.events,
    kills: options.kills,
    ...(cells ? { cells } : {}),
    keep: options.keep,
    ...(options.verbose ? { log: (line: string) => console.error(line) } : {}),
    onCell: (r) => {
      if (options.json) return;
      console.log(`${r.ok ? "PASS" : "FAIL"}  ${r.cell}: ${r.fault}`);
      console.log(
        `      answered ${n(r.expected.accepted)} accepted + ${n(r.expected.rejected)} rejected; raw ${n(r.counts.rawEvents)} events (${n(r.counts.rawDistinctEvents)} distinct) + ${n(r.counts.rawBadRows)} bad rows; ` +
          `curated ${n(r.counts.curatedRows)} rows (${n(r.counts.curatedDistinct)} distinct); quarantine ${n(r.counts.quarantinedRows)}; fallback ${n(r.counts.spilledEvents)}`,
      );
      console.log(`      fault evidence: ${evidence(r)}; settled in ${(r.settledMs / 1000).toFixed(1)} s`);
      for (const p of r.problems) console.log(`      PROBLEM: ${p}`);
      for (const note of r.notes) console.log(`      note: ${note}`);
    },
  });
  if (options.json) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.log(
      `\n${table(
        results.map((r) => [
          r.cell,
          n(r.expected.accepted),
          n(r.expected.acceptedNotInRaw),
          n(r.expected.acceptedNotCurated + r.expected.acceptedQuarantined),
          n(r.expected.acceptedCuratedDuplicates + r.counts.curatedRows - r.counts.curatedDistinct),
          n(r.expected.rejectedNotQuarantined),
          r.ok ? "PASS" : "FAIL",
        ]),
        ["cell", "accepted", "missing in raw", "not curated", "curated twice", "rejected not quarantined", "verdict"],
      )}`,
    );
    const failed = results.filter((r) => !r.ok).length;
    console.log(failed ? `\n${failed} cell(s) FAILED` : `\nevery cell: zero loss, zero curated duplicates`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 2;
}
