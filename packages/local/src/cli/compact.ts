/**
 * `eventlake compact`: runs the compactor function (functions/compactor.ts, the same handler the schedule runs) once
 * against the local lake, in a Lambda sandbox with the environment the stacks give it, and prints what it merged.
 * Uses the running pipeline's S3 when there is one; otherwise serves the data directory's lake itself for the run.
 */
import { createWriteStream, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { clientConfig, targetEnv } from "@eventlake/adapters/aws-config";
import type { CompactionReport } from "@eventlake/adapters/compaction/executor";
import { compactionSetting, compactorFunction } from "@eventlake/core/functions/compactor";
import { metricsNamespace, stageConfig } from "@eventlake/core/stage-config";
import { LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import { LOCAL_BUCKET, LOCAL_REGION, readLocalInfo, resolveDataDir } from "../local-config";
import { startLocalS3 } from "@eventlake/emulators/s3/server";
import { n, table } from "./format";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface CompactOptions {
  dataDir?: string;
  settleMinutes?: number;
  lookbackDays?: number;
  dryRun?: boolean;
  json?: boolean;
}

async function isUp(endpoint: string): Promise<boolean> {
  try {
    return (await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Runs the compactor once; returns its report (the CLI prints it). */
export async function compactOnce(options: CompactOptions): Promise<CompactionReport> {
  const dataDir = resolveDataDir(options.dataDir);
  const info = readLocalInfo(dataDir);
  const closers: (() => Promise<void>)[] = [];
  try {
    let endpoint: string;
    let bucket: string;
    if (info && (await isUp(info.endpoint))) {
      endpoint = info.s3Endpoint;
      bucket = info.bucket;
    } else {
      if (!existsSync(join(dataDir, "s3"))) throw new Error(`no local lake in ${dataDir} (start the pipeline once with \`npm start\`)`);
      const s3 = await startLocalS3({ rootDir: join(dataDir, "s3"), host: "127.0.0.1", port: 0 });
      closers.push(() => s3.close());
      endpoint = s3.endpoint;
      bucket = LOCAL_BUCKET;
      const client = new S3Client({ ...clientConfig({ region: LOCAL_REGION, endpoint }), forcePathStyle: true });
      await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((err: Error) => {
        if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
      });
      client.destroy();
    }
    const stage = stageConfig("local");
    mkdirSync(join(dataDir, "logs"), { recursive: true });
    const log = createWriteStream(join(dataDir, "logs", "functions.log"), { flags: "a" });
    closers.push(() => new Promise<void>((resolve) => log.end(() => resolve())));
    const fn = new LocalLambda({
      functionName: "eventlake-local-compactor",
      handlerFile: join(REPO_ROOT, compactorFunction.sourceFile),
      timeoutMs: stage.compaction.timeoutSeconds * 1000,
      memoryMb: stage.compaction.memoryMb,
      region: LOCAL_REGION,
      env: {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        PATH: process.env.PATH ?? "",
        ...targetEnv({ S3: endpoint }),
        ...compactorFunction.toEnv({ lakeBucket: bucket, compaction: compactionSetting(stage.compaction), metricsNamespace: metricsNamespace("local") }),
      },
      onLogLine: (line) => log.write(`${line}\n`),
    });
    closers.push(() => fn.close());
    return await fn.invoke<CompactionReport>({
      source: "eventlake.cli",
      ...(options.settleMinutes !== undefined ? { settleMinutes: options.settleMinutes } : {}),
      ...(options.lookbackDays !== undefined ? { lookbackDays: options.lookbackDays } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    });
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  }
}

export function formatReport(report: CompactionReport): string {
  const lines: string[] = [];
  const l = report.listed;
  lines.push(
    `listed     ${n(l.objects)} objects in ${n(l.partitions)} partition(s): ${n(l.settled)} settled, ${n(l.unsettled)} still written to, ${n(l.busy)} busy`,
  );
  for (const r of report.recoveries) lines.push(`recovered  ${r.action} ${r.output}${r.reason ? ` (${r.reason})` : ""}`);
  if (report.dryRun) {
    lines.push(`planned    ${n(report.planned.groups)} merge(s) of ${n(report.planned.files)} files (${mb(report.planned.bytes)}); dry run: nothing written`);
  } else if (report.merges.length === 0) {
    lines.push("merged     nothing (no settled partition has two small files)");
  } else {
    const rows = report.merges.map((m) => [m.partition, n(m.inputs), n(m.rows), mb(m.bytesIn), mb(m.bytesOut), m.result, `${(m.durationMs / 1000).toFixed(1)} s`]);
    lines.push(`\n${table(rows, ["partition", "files", "rows", "in", "out", "result", "time"])}\n`);
    const t = report.totals;
    lines.push(`merged     ${n(t.filesMerged)} files (${n(t.rowsMerged)} rows, ${mb(t.bytesMerged)}) into ${n(report.merges.filter((m) => m.result !== "rolled-back").length)} file(s)`);
  }
  for (const s of report.skipped) lines.push(`skipped    ${s.output}: ${s.reason}`);
  if (report.deferred.groups > 0) lines.push(`deferred   ${n(report.deferred.groups)} merge(s), ${mb(report.deferred.bytes)} (over this run's budget${report.stoppedBecause ? `: ${report.stoppedBecause}` : ""})`);
  for (const f of report.failures) lines.push(`FAILED     ${f.subject} (${f.stage}): ${f.error}`);
  if (l.invalidFiles.length > 0) lines.push(`warning    ${n(l.invalidFiles.length)} file(s) too small to be Parquet, left alone: ${l.invalidFiles.slice(0, 3).join(", ")}`);
  return lines.join("\n");
}

export async function runCompact(options: CompactOptions) {
  try {
    const report = await compactOnce(options);
    console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
    if (report.failures.length > 0) process.exitCode = 1;
  } catch (err) {
    console.error(`eventlake compact: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
