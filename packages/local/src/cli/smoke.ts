/**
 * `eventlake smoke [--stage <name>]`: the smoke check (packages/local/src/smoke/smoke.ts) on a deployed stage, or on
 * the running local pipeline without --stage. Exit 0 only when every event was accepted, archived in raw/ and curated
 * exactly once; 2 when not; 1 when it could not run (one line saying what to do).
 */
import { readLocalInfo, resolveDataDir } from "../local-config";
import { runSmokeCheck, type SmokePorts, type SmokeReport } from "../smoke/smoke";
import { n, table } from "./format";
import { StageProblem, explainAwsFailure, loadStage, localSmokePorts, stageSmokePorts } from "./stage-target";
import { LOCAL_VARIABLES } from "../local-config";

export interface SmokeCliOptions {
  dataDir?: string;
  stage?: string;
  outputs?: string;
  region?: string;
  writeKey?: string;
  timeout?: number;
  batchSize: number;
  json: boolean;
}

/** Default wait on a stage: Firehose's buffering interval plus a Glue window, with room for a job that is starting. */
const STAGE_TIMEOUT_SECONDS = 900;
const LOCAL_TIMEOUT_SECONDS = 120;

const seconds = (ms: number | null) => (ms === null ? "not reached" : `${(ms / 1000).toFixed(1)} s`);

export function formatSmokeReport(report: SmokeReport, where: string): string {
  const v = report.verdict;
  const total = report.messageIds.length;
  const layers = table(
    [
      ["api", `${n(v.api.accepted)}/${n(total)} accepted`, seconds(report.timings.apiMs)],
      ["raw/", `${n(v.raw.found)}/${n(total)} found${v.raw.duplicated.length ? `, ${n(v.raw.duplicated.length)} more than once` : ""}`, seconds(report.timings.rawMs)],
      ["curated/", `${n(v.curated.found)}/${n(total)} found${v.curated.duplicated.length ? `, ${n(v.curated.duplicated.length)} more than once` : ""}`, seconds(report.timings.curatedMs)],
    ],
    ["layer", "events", "time (after sending)"],
  );
  const job = report.job;
  const jobLine =
    "none" in job
      ? `curation job  ${job.none}`
      : "error" in job
        ? `curation job  could not read its runs: ${job.error}`
        : `curation job  ${job.name}: ${job.latest ? `${job.latest.state} (run ${job.latest.id}${job.latest.startedOnMs ? `, started ${new Date(job.latest.startedOnMs).toISOString()}` : ""})` : "no runs yet"}` +
          `${job.lastError ? `\n              last error: ${job.lastError}` : ""}`;
  let alarms: string;
  if ("error" in report.alarms) alarms = `alarms        could not read them: ${report.alarms.error}`;
  else if (report.alarms.length === 0) alarms = "alarms        none evaluated yet";
  else {
    const order = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as Record<string, number>;
    const sorted = [...report.alarms].sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || a.name.localeCompare(b.name));
    const inAlarm = sorted.filter((a) => a.state === "ALARM").length;
    alarms = `alarms        ${inAlarm ? `${inAlarm} in ALARM` : "none in ALARM"} of ${sorted.length}\n${table(
      sorted.map((a) => [a.state, a.name, a.state === "OK" ? "" : a.reason.slice(0, 100)]),
      ["state", "alarm", "reason"],
    )}`;
  }
  const lines = [`smoke run ${report.runId} on ${where}`, "", layers, "", jobLine, "", alarms, ""];
  for (const note of v.notes) lines.push(`note: ${note}`);
  for (const problem of v.problems) lines.push(`PROBLEM: ${problem}`);
  lines.push(v.ok ? `OK: all ${n(total)} events accepted, in raw/ and curated exactly once.` : "SMOKE FAILED: see the problems above; docs/deploy.md, \"When smoke fails\", says where to look.");
  return lines.join("\n");
}

export async function runSmoke(options: SmokeCliOptions): Promise<number> {
  const fail = (line: string) => {
    console.error(`eventlake smoke: ${line}`);
    return 1;
  };
  let ports: SmokePorts & { close(): void };
  let where: string;
  let context: { stage: string; region: string } | undefined;
  if (options.stage !== undefined) {
    let loaded;
    try {
      loaded = loadStage({ stage: options.stage, ...(options.outputs ? { outputs: options.outputs } : {}), ...(options.region ? { region: options.region } : {}) });
    } catch (error) {
      if (error instanceof StageProblem) return fail(error.message);
      throw error;
    }
    const writeKey = options.writeKey ?? process.env[LOCAL_VARIABLES.writeKey];
    if (!writeKey) {
      return fail(`no write key for stage "${options.stage}": pass --write-key <key> or set ${LOCAL_VARIABLES.writeKey} (a key whose sha256 is in the stage's WriteKeys secret: \`npx sst secret list --stage ${options.stage}\`)`);
    }
    ports = stageSmokePorts(loaded.resources, loaded.region, writeKey);
    where = `stage "${options.stage}" (${loaded.region}, ${loaded.resources.apiUrl})`;
    context = { stage: options.stage, region: loaded.region };
  } else {
    const dataDir = resolveDataDir(options.dataDir);
    const info = readLocalInfo(dataDir);
    if (!info) return fail(`no local pipeline in ${dataDir}: start one with \`npm start\`, or pass --stage <name> for a deployed stage`);
    ports = localSmokePorts({ ...info, ...(options.writeKey ? { writeKey: options.writeKey } : {}) }, dataDir);
    where = `the local pipeline (${info.endpoint})`;
  }
  try {
    // On a stage, the first call that needs credentials (listing the lake) fails here before anything is sent.
    if (context) await preflight(ports);
    const report = await runSmokeCheck(ports, {
      timeoutMs: (options.timeout ?? (context ? STAGE_TIMEOUT_SECONDS : LOCAL_TIMEOUT_SECONDS)) * 1000,
      batchSize: options.batchSize,
      ...(options.json ? {} : { onProgress: (line: string) => process.stderr.write(`${line}\n`) }),
    });
    console.log(options.json ? JSON.stringify(report, null, 2) : formatSmokeReport(report, where));
    return report.verdict.ok ? 0 : 2;
  } catch (error) {
    if (!context) return fail((error as Error).message.split("\n")[0]!);
    return fail(explainAwsFailure(error, { ...context, what: "reading the stage's lake" }));
  } finally {
    ports.close();
  }
}

/** One listing of the lake: credentials, region and bucket are checked before any event is sent. */
async function preflight(ports: SmokePorts) {
  for await (const _ of ports.lake.list("raw/")) break;
}
