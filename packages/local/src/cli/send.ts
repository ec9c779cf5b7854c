import { readLocalInfo, resolveDataDir } from "../local-config";
import { sendClickstream } from "../loadgen/sender";
import { recordOutcomes } from "./verify";
import { n, progressBar, table } from "./format";
import { LOCAL_VARIABLES } from "../local-config";

export async function runSend(options: {
  dataDir?: string; events: number; rate: number; batchSize: number; concurrency: number; invalidRatio: number;
  users: number; seed: number; gzip: boolean; endpoint?: string; writeKey?: string; maxRetries: number; record?: string;
}) {
  const info = readLocalInfo(resolveDataDir(options.dataDir));
  const endpoint = options.endpoint ?? info?.endpoint;
  const writeKey = options.writeKey ?? process.env[LOCAL_VARIABLES.writeKey] ?? info?.writeKey;
  if (!endpoint || !writeKey) {
    console.error("eventlake send: no endpoint. Start the pipeline first (`npm start`), or pass --endpoint and --write-key.");
    process.exit(1);
  }
  if (options.batchSize < 1) {
    console.error("eventlake send: --batch-size must be at least 1");
    process.exit(1);
  }
  try {
    const health = await fetch(`${endpoint}/health`);
    if (!health.ok) throw new Error(`health answered ${health.status}`);
  } catch (error) {
    console.error(`eventlake send: ${endpoint} is not answering (${(error as Error).message}). Is \`npm start\` running?`);
    process.exit(1);
  }

  const record = options.record;
  if (record !== undefined) recordOutcomes(record, { accepted: [], rejected: [] }, { create: true });
  const bar = progressBar(process.stderr, options.events);
  const summary = await sendClickstream({
    endpoint, writeKey,
    events: options.events, rate: options.rate, batchSize: options.batchSize, concurrency: options.concurrency,
    invalidRatio: options.invalidRatio, users: options.users, seed: options.seed, gzip: options.gzip, maxRetries: options.maxRetries,
    ...(record !== undefined ? { onOutcome: (outcome: { accepted: string[]; rejected: string[] }) => recordOutcomes(record, outcome) } : {}),
    onProgress: (p) => bar.update(p.sent, `${n(Math.round(p.sent / Math.max(p.elapsedMs / 1000, 0.001)))} ev/s, ${n(p.retriedRequests)} retried`),
  });
  bar.done();

  const seconds = summary.elapsedMs / 1000;
  const rows: (string | number)[][] = [
    ["sent", n(summary.sent)],
    ["accepted", n(summary.accepted)],
    ["rejected", n(summary.rejected) + (summary.rejected ? `  (${Object.entries(summary.rejectedByReason).map(([r, c]) => `${r}: ${n(c)}`).join(", ")})` : "")],
    ["retried requests", `${n(summary.retriedRequests)}  (${n(summary.throttledRequests)} throttled by the API)`],
    ["spilled to fallback", n(summary.spilled)],
    ["failed (gave up)", n(summary.failedEvents)],
    ["throughput", `${n(Math.round(summary.sent / Math.max(seconds, 0.001)))} events/s over ${seconds.toFixed(1)} s`],
  ];
  console.log(table(rows, ["", "events"]));
  const validAccepted = summary.validSent - summary.failedEvents - summary.misjudged;
  if (summary.failedEvents === 0 && summary.misjudged === 0) {
    console.log(`\nall ${n(summary.validSent)} valid events accepted; ${n(summary.rejected)} invalid events rejected as bad rows.`);
  } else {
    console.log(`\n${n(Math.max(0, validAccepted))} of ${n(summary.validSent)} valid events accepted; ${n(summary.failedEvents)} failed, ${n(summary.misjudged)} judged differently than generated.`);
    process.exitCode = 2;
  }
}
