/**
 * Operations on one machine (registered in components.ts): the scheduler that runs the scheduled functions on
 * their stage schedules, with what they need around them locally:
 *  - the local alarm topic (an SNS stand-in: notices are printed and appended to <dataDir>/alerts.log);
 *  - the local assets bucket (the autoscaler's state);
 *  - the local job stand-in, when a component registered a job (the watchdog checks and restarts it).
 * Adding a scheduled function is one entry in SCHEDULED_FUNCTIONS, which starts it from its description
 * (packages/core/src/functions/) with the values its stack gives it.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { fileURLToPath } from "node:url";
import { encodeAutoscalerConfig } from "@eventlake/core/autoscaler/config";
import { validateAutoscalerSettings, type AutoscalerSettings } from "@eventlake/core/autoscaler/planner";
import { autoscalerFunction } from "@eventlake/core/functions/autoscaler";
import { compactionSetting, compactorFunction } from "@eventlake/core/functions/compactor";
import type { ScheduleKey } from "@eventlake/core/functions/define";
import { watchdogFunction } from "@eventlake/core/functions/watchdog";
import { parseScheduleExpression, typicalIntervalMs } from "@eventlake/core/schedule";
import type { StageConfig } from "@eventlake/core/stage-config";
import { STREAM_SAMPLES_VARIABLE } from "../functions/local-variables";
import { LOCAL_ALARM_TOPIC_ARN, LOCAL_ASSETS_BUCKET } from "../local-config";
import type { LocalComponent, PipelineContext } from "../pipeline-context";
import { noticeLines, startLocalSns } from "@eventlake/emulators/sns/server";
import { startLocalJobService, localJobsOf } from "./local-jobs";
import { LocalScheduler, type InvocationRecord, type ScheduledFunction } from "./scheduler";
import { streamSamplesDir } from "../metrics/stream-sampler";

/** The autoscaler's local entry: its handler with the local stream's metrics (../functions/autoscaler.ts). */
const LOCAL_AUTOSCALER_ENTRY = fileURLToPath(new URL("../functions/autoscaler.ts", import.meta.url));

export { LocalScheduler, type ScheduledFunction, type InvocationRecord } from "./scheduler";
export { registerLocalJob, supervisedJob, type LocalJob, type LocalJobRun } from "./local-jobs";

/** What a scheduled function's entry can use to start its function. */
export interface OperationsContext {
  ctx: PipelineContext;
  stage: StageConfig;
  /** Its schedule expression (the stage's, or the one a test gave). */
  schedule: string;
  /** The stand-ins the scheduler started: the alarm topic's SNS, the local job service if any. */
  endpoints: { SNS: string; GLUE?: string };
  autoscaler: AutoscalerSettings;
  /** The local job the watchdog watches, if a component registered one. */
  jobName?: string;
}

/** A scheduled function's entry; its name and schedule come from its key. */
type ScheduledEntry = (o: OperationsContext) => Omit<ScheduledFunction, "name" | "schedule"> | undefined;

const LOCAL_STAGE = "local";

interface AutoscalerResult {
  outcome?: string;
  decision?: { action: string; code: string; current: number; target: number; reason: string };
  failure?: { step: string; error: string };
}
interface WatchdogResult {
  decision?: { code: string; running: boolean; reason: string };
  startedRunId?: string;
  failure?: { step: string; error: string };
}

/** The scheduled functions, by schedule name (the key of StageConfig.schedules). */
export const SCHEDULED_FUNCTIONS: Record<ScheduleKey, ScheduledEntry> = {
  autoscaler: (o) => ({
    create: () =>
      o.ctx.createFunction(
        autoscalerFunction,
        {
          stage: LOCAL_STAGE,
          streamName: o.ctx.streamName,
          assetsBucket: LOCAL_ASSETS_BUCKET,
          alarmTopicArn: LOCAL_ALARM_TOPIC_ARN,
          config: encodeAutoscalerConfig({ settings: o.autoscaler, bounds: { minShards: o.stage.stream.minShards, maxShards: o.stage.stream.maxShards } }),
          metricsNamespace: o.ctx.metricsNamespace,
        },
        {
          ...autoscalerFunction.size!,
          endpoints: o.endpoints,
          handlerFile: LOCAL_AUTOSCALER_ENTRY,
          localEnv: { [STREAM_SAMPLES_VARIABLE]: streamSamplesDir(o.ctx.dataDir) },
        },
      ),
    summarize: (r) => {
      const { decision: d, outcome, failure } = r as AutoscalerResult;
      if (failure) return `FAILED at ${failure.step}: ${failure.error}`;
      if (d && outcome === "done") return `${d.action} ${d.current} -> ${d.target} shards (${d.reason})`;
      return undefined;
    },
  }),
  watchdog: (o) =>
    o.jobName
      ? {
          create: () =>
            o.ctx.createFunction(
              watchdogFunction,
              {
                stage: LOCAL_STAGE,
                glueJobName: o.jobName!,
                alarmTopicArn: LOCAL_ALARM_TOPIC_ARN,
                schedule: o.schedule,
                metricsNamespace: o.ctx.metricsNamespace,
              },
              { ...watchdogFunction.size!, endpoints: o.endpoints },
            ),
          summarize: (r) => {
            const { decision: d, startedRunId, failure } = r as WatchdogResult;
            if (failure) return `FAILED at ${failure.step}: ${failure.error}`;
            if (d && !d.running) return `${d.code}: ${d.reason}${startedRunId ? ` (started ${startedRunId})` : ""}`;
            return undefined;
          },
        }
      : undefined,
  compactor: (o) => ({
    create: () =>
      o.ctx.createFunction(
        compactorFunction,
        { lakeBucket: o.ctx.bucket, compaction: compactionSetting(o.stage.compaction), metricsNamespace: o.ctx.metricsNamespace },
        { timeoutSeconds: o.stage.compaction.timeoutSeconds, memoryMb: o.stage.compaction.memoryMb, endpoints: o.endpoints },
      ),
  }),
};

export interface SchedulerComponentOptions {
  /** Schedule expressions by function (default: the stage's `schedules`); `rate(N seconds)` is allowed locally. */
  schedules?: Partial<StageConfig["schedules"]>;
  /** Autoscaler settings over the stage's (tests use short periods and cool-downs). */
  autoscaler?: Partial<AutoscalerSettings>;
  /** Run only these scheduled functions (default: all). */
  only?: readonly ScheduleKey[];
  onInvocation?: (record: InvocationRecord) => void;
}

async function ensureBucket(ctx: PipelineContext, bucket: string): Promise<void> {
  const s3 = new S3Client({ ...clientConfig({ region: ctx.region, endpoint: ctx.s3Endpoint }), forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
  } finally {
    s3.destroy();
  }
}

export function schedulerComponent(options: SchedulerComponentOptions = {}): LocalComponent {
  return {
    name: "scheduler",
    async start(ctx) {
      const closers: (() => Promise<void>)[] = [];
      const close = async () => {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      };
      try {
        const stage = ctx.stage;
        const schedules = { ...stage.schedules, ...options.schedules };
        const autoscaler = { ...stage.autoscaler, ...options.autoscaler };
        const interval = typicalIntervalMs(parseScheduleExpression(schedules.autoscaler, { allowSeconds: true }), Date.now());
        const problems = validateAutoscalerSettings(autoscaler, interval === undefined ? undefined : interval / 1000);
        if (problems.length > 0) throw new Error(`scheduler: invalid autoscaler settings: ${problems.join("; ")}`);

        await ensureBucket(ctx, LOCAL_ASSETS_BUCKET);
        const alertsLog = join(ctx.dataDir, "alerts.log");
        const sns = await startLocalSns({
          topicArns: [LOCAL_ALARM_TOPIC_ARN],
          onPublish: (m) => {
            const lines = noticeLines(m);
            appendFileSync(alertsLog, `${lines.join("\n")}\n\n`);
            ctx.log(`notice: ${m.subject ?? m.message.split("\n")[0]}`);
          },
        });
        closers.push(() => sns.close());


        const jobs = localJobsOf(ctx.dataDir);
        let glueEndpoint: string | undefined;
        if (jobs.length > 0) {
          const service = await startLocalJobService({ jobs });
          glueEndpoint = service.endpoint;
          ctx.publish?.({ glueEndpoint });
          closers.push(() => service.close());
        }

        const endpoints = { SNS: sns.endpoint, ...(glueEndpoint ? { GLUE: glueEndpoint } : {}) };
        const scheduler = new LocalScheduler({
          log: ctx.log,
          ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
        });
        for (const [name, entry] of Object.entries(SCHEDULED_FUNCTIONS) as [ScheduleKey, ScheduledEntry][]) {
          if (options.only && !options.only.includes(name)) continue;
          const ops: OperationsContext = { ctx, stage, schedule: schedules[name], endpoints, autoscaler, ...(jobs[0] ? { jobName: jobs[0].name } : {}) };
          const fn = entry(ops);
          if (!fn) {
            ctx.log(`scheduler: ${name} not scheduled locally (nothing for it to do: no local job registered)`);
            continue;
          }
          scheduler.add({ ...fn, name, schedule: schedules[name] });
        }
        scheduler.start();
        closers.push(() => scheduler.close());
        ctx.log(`scheduler: ${scheduler.names().map((n) => `${n} ${schedules[n as keyof typeof schedules]}`).join(", ")}; notices in ${alertsLog}`);
        return { close, scheduler };
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}
