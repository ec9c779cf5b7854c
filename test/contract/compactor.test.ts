/**
 * Contract: the compactor Lambda (functions/compactor.ts) in a Lambda sandbox with the environment the stacks give
 * it, invoked with the EventBridge Scheduler event the stacks configure, against the local S3: its EMF metrics
 * (namespace, service dimension, CompactionFailures every run, 1 for a failed run), and `eventlake compact`, which
 * runs the same handler once on a data directory's lake and prints what it merged.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompactionReport } from "@eventlake/adapters/compaction/executor";
import { CUSTOM_METRICS } from "@eventlake/core/metrics/catalog";
import { scheduledEventInput } from "@eventlake/core/schedule";
import { STAGES } from "@eventlake/core/stage-config";
import { compactOnce, formatReport } from "@eventlake/local/cli/compact";
import { LambdaInvocationError, LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import { LOCAL_BUCKET } from "@eventlake/local/local-config";
import { PARTITION, startTestLake, type TestLake } from "../helpers/compaction-lake";
import { CuratedParquet } from "../helpers/curated-parquet";
import { targetEnv } from "@eventlake/adapters/aws-config";
import { compactionSetting, compactorFunction } from "@eventlake/core/functions/compactor";

const M = compactorFunction.metrics;

const ROOT = join(import.meta.dirname, "..", "..");
const key = (partition: string, batch: number) => `${partition}part-${String(batch).padStart(10, "0")}-0.parquet`;

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

describe("compactor function (sandboxed, scheduler event, local S3)", () => {
  let lake: TestLake;
  let fn: LocalLambda;
  const lines: string[] = [];
  const emf = () => lines.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Emf);

  beforeAll(async () => {
    lake = await startTestLake("compactor-contract");
    fn = new LocalLambda({
      functionName: "eventlake-test-compactor",
      handlerFile: join(ROOT, compactorFunction.sourceFile),
      timeoutMs: 60_000,
      region: "us-east-1",
      env: {
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        PATH: process.env.PATH ?? "",
        ...targetEnv({ S3: lake.s3.endpoint }),
        ...compactorFunction.toEnv({
          lakeBucket: "lake-test",
          metricsNamespace: "eventlake/test",
          // The stage's settings, except: everything settled, every day listed.
          compaction: compactionSetting({ ...STAGES.dev.compaction, settleMinutes: 0, lookbackDays: 0 }),
        }),
      },
      onLogLine: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await fn?.close();
    await lake?.close();
  });

  it("merges on a scheduled run and emits its metrics in the stage's namespace with service=compactor", async () => {
    for (const b of [1, 2, 3]) await lake.putCurated(key(PARTITION, b), 50, b);
    const before = await lake.readerChecksum();
    const event = { ...scheduledEventInput("compactor"), scheduledTime: "2024-03-06T12:00:00Z", executionId: "x", attempt: "1" };
    const report = await fn.invoke<CompactionReport>(event);
    expect(report.failures).toEqual([]);
    expect(report.totals).toMatchObject({ filesMerged: 3, rowsMerged: before.rows });
    expect(await lake.readerChecksum()).toEqual(before);
    const metrics = emf().at(-1)!;
    const def = metrics._aws.CloudWatchMetrics[0]!;
    expect(def.Namespace).toBe("eventlake/test");
    expect(def.Dimensions).toEqual([["service"]]);
    expect(metrics.service).toBe(CUSTOM_METRICS.compactor.service);
    expect(metrics[CUSTOM_METRICS.compactor.failures]).toBe(0);
    expect(metrics).toMatchObject({ [M.filesMerged]: 3, [M.outputFiles]: 1, [M.rowsMerged]: before.rows });
    expect(def.Metrics.map((m) => m.Name)).toEqual(expect.arrayContaining([M.failures, M.bytesMerged, M.bytesWritten, M.runDuration]));
  });

  it("fails a run with a clear error on a bad override, and counts it as a compaction failure", async () => {
    lines.length = 0;
    const failed = await fn.invoke({ settleMinutes: "soon" }).catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(LambdaInvocationError);
    expect((failed as Error).message).toMatch(/settleMinutes must be a number/);
    const metrics = emf().at(-1)!;
    expect(metrics[CUSTOM_METRICS.compactor.failures]).toBe(1);
    expect(metrics.service).toBe(compactorFunction.service);
  });
});

describe("eventlake compact (no pipeline running)", () => {
  it("runs the handler once on the data directory's lake and prints what it merged", async () => {
    // A data directory whose lake holds two settled small files (written through the local S3, then stopped).
    const { startLocalS3 } = await import("@eventlake/emulators/s3/server");
    const { S3ObjectStore } = await import("@eventlake/adapters/s3-object-store");
    const { tempDir } = await import("../helpers/temp-dir");
    const tmp = tempDir("compact-cli");
    try {
      mkdirSync(join(tmp.dir, "staging"));
      const s3 = await startLocalS3({ rootDir: join(tmp.dir, "s3"), buckets: [LOCAL_BUCKET] });
      const objects = new S3ObjectStore({ bucket: LOCAL_BUCKET, target: { region: "us-east-1", endpoint: s3.endpoint } });
      const parquet = await CuratedParquet.open();
      const { readFileSync } = await import("node:fs");
      for (const b of [1, 2]) {
        const file = join(tmp.dir, "staging", `${b}.parquet`);
        await parquet.write(file, { rows: 30, seed: b });
        await objects.put(key(PARTITION, b), readFileSync(file));
      }
      parquet.close();
      objects.destroy();
      await s3.close();

      const dry = await compactOnce({ dataDir: tmp.dir, settleMinutes: 0, lookbackDays: 0, dryRun: true });
      expect(dry.planned).toMatchObject({ groups: 1, files: 2 });
      expect(formatReport(dry)).toMatch(/planned\s+1 merge\(s\) of 2 files.*dry run/);

      const report = await compactOnce({ dataDir: tmp.dir, settleMinutes: 0, lookbackDays: 0 });
      expect(report.merges).toEqual([expect.objectContaining({ partition: PARTITION, inputs: 2, rows: 60, result: "merged" })]);
      const text = formatReport(report);
      expect(text).toContain(PARTITION);
      expect(text).toMatch(/merged\s+2 files \(60 rows/);
      // The default settle age (the stage's) leaves just-written files alone.
      const again = await compactOnce({ dataDir: tmp.dir, lookbackDays: 0 });
      expect(again.merges).toEqual([]);
    } finally {
      tmp.remove();
    }
  }, 90_000);
});
