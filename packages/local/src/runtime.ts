import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { clientConfig, targetEnv } from "@eventlake/adapters/aws-config";
import { ingestFunction } from "@eventlake/core/functions/ingest";
import { hashWriteKey } from "@eventlake/core/ingest/auth";
import { LAKE_PREFIXES, metricsNamespace, stageConfig } from "@eventlake/core/stage-config";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { startLocalHttpApi, type LocalHttpApi } from "@eventlake/emulators/api-gateway";
import { corsConfiguration } from "@eventlake/core/ingest/cors";
import { apiRouteKey, routeForPath } from "@eventlake/core/ingest/routes";
import { startLocalKinesis } from "@eventlake/emulators/kinesis";
import { LocalLambda } from "@eventlake/emulators/lambda/local-lambda";
import {
  LOCAL_ASSETS_BUCKET,
  LOCAL_BUCKET,
  LOCAL_REGION,
  LOCAL_SOURCE_ID,
  LOCAL_STREAM_NAME,
  localWriteKey,
  writeFileAtomic,
  writeLocalInfo,
  type LocalInfo,
} from "./local-config";
import { functionCallers } from "@eventlake/emulators/s3/access";
import { startLocalS3 } from "@eventlake/emulators/s3/server";
import { autoscalerStateKey } from "@eventlake/core/autoscaler/state";
import { LOCAL_COMPONENTS } from "./components";
import { faultCountsPath, faultPlanProblems, injectFaults, type FaultPlan } from "./fault-plan";
import { StreamSampler, streamSamplesDir } from "./metrics/stream-sampler";
import type { LocalComponent, PipelineContext } from "./pipeline-context";

export type { LocalComponent, LocalFunctionOptions, PipelineContext } from "./pipeline-context";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The local names of what the call lists' templates name. */
export const LOCAL_ARN_VALUES = {
  lakeBucket: LOCAL_BUCKET,
  assetsBucket: LOCAL_ASSETS_BUCKET,
  streamName: LOCAL_STREAM_NAME,
  autoscalerStateKey: autoscalerStateKey(LOCAL_STREAM_NAME),
};

export interface LocalPipelineOptions {
  dataDir: string;
  host?: string;
  /** Port of the ingest endpoint; 0 picks a free one. */
  port?: number;
  /** Starting shard count of a new local stream (an existing stream keeps its shards). */
  shards?: number;
  /** Kinesis's per-shard write limits, on by default. */
  shardLimits?: boolean;
  /** API stage throttling as configured for the stage, on by default. */
  apiThrottling?: boolean;
  /** Extra environment for the functions (tests use it to tune limits). */
  functionEnv?: Record<string, string>;
  /** How often the stream's counters are sampled for the autoscaler and the alarms (default 1 s). */
  streamSampleIntervalMs?: number;
  /** Faults to inject into the stand-ins (tests and `eventlake prove`); none by default. */
  faults?: FaultPlan;
  /** Where runtime messages go (not the functions' logs, which go to <dataDir>/logs/). */
  log?: (line: string) => void;
}

export interface LocalPipeline {
  info: LocalInfo;
  dataDir: string;
  close(): Promise<void>;
}

async function ensureStream(client: KinesisClient, shards: number) {
  try {
    await client.send(new CreateStreamCommand({ StreamName: LOCAL_STREAM_NAME, ShardCount: shards }));
  } catch (error) {
    if ((error as Error).name !== "ResourceInUseException") throw error;
  }
  for (let i = 0; i < 100; i++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: LOCAL_STREAM_NAME }));
    if (summary.StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`local stream ${LOCAL_STREAM_NAME} did not become ACTIVE`);
}

async function ensureBucket(client: S3Client) {
  try {
    await client.send(new CreateBucketCommand({ Bucket: LOCAL_BUCKET }));
  } catch (error) {
    const name = (error as Error).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw error;
  }
}

/**
 * Starts the pipeline on this machine: the S3 and Kinesis stand-ins persisting under the data directory, the ingest
 * function in its own sandbox, and the HTTP API in front of it. Everything the AWS stacks would configure comes from
 * the same stage settings ("local").
 */
export async function startLocalPipeline(options: LocalPipelineOptions, components: readonly LocalComponent[] = LOCAL_COMPONENTS): Promise<LocalPipeline> {
  const { dataDir } = options;
  const log = options.log ?? (() => undefined);
  const stage = stageConfig("local");
  const plan = options.faults ?? {};
  const faultProblems = faultPlanProblems(plan);
  if (faultProblems.length) throw new Error(`invalid fault plan: ${faultProblems.join("; ")}`);
  const faults = injectFaults(plan);
  mkdirSync(join(dataDir, "logs"), { recursive: true });

  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const s3 = await startLocalS3({
      rootDir: join(dataDir, "s3"),
      host: "127.0.0.1",
      port: 0,
      callers: functionCallers(LOCAL_ARN_VALUES),
      ...(faults.objectStore ? { faults: faults.objectStore } : {}),
    });
    closers.push(() => s3.close());
    const kinesis = await startLocalKinesis({ dataDir: join(dataDir, "kinesis"), host: "127.0.0.1", port: 0, limits: options.shardLimits ?? true, ...(faults.kinesis ? { faults: faults.kinesis } : {}) });
    closers.push(() => kinesis.close());

    const kinesisClient = new KinesisClient(clientConfig({ region: LOCAL_REGION, endpoint: kinesis.endpoint }));
    const s3Client = new S3Client({ ...clientConfig({ region: LOCAL_REGION, endpoint: s3.endpoint }), forcePathStyle: true });
    await ensureStream(kinesisClient, options.shards ?? stage.stream.shards);
    await ensureBucket(s3Client);
    kinesisClient.destroy();
    s3Client.destroy();

    // The stream's counters over time, the one local path both the autoscaler and the alarms read.
    const sampler = new StreamSampler({
      kinesisDir: join(dataDir, "kinesis"),
      samplesDir: streamSamplesDir(dataDir),
      streamName: LOCAL_STREAM_NAME,
      intervalMs: options.streamSampleIntervalMs ?? 1_000,
      log,
    });
    sampler.start();
    closers.push(() => sampler.close());

    const writeKey = localWriteKey(dataDir);
    const functionLog: WriteStream = createWriteStream(join(dataDir, "logs", "functions.log"), { flags: "a" });
    const lambdas: LocalLambda[] = [];
    if (faults.kinesis || faults.objectStore || Object.keys(plan.functionLatencyMs ?? {}).length) {
      const persist = () => {
        faults.counts.slowedInvocations = lambdas.filter((l) => (l.options.injectedLatencyMs ?? 0) > 0).reduce((sum, l) => sum + l.invocations, 0);
        writeFileAtomic(faultCountsPath(dataDir), JSON.stringify(faults.counts));
      };
      const timer = setInterval(persist, 1000);
      closers.push(async () => {
        clearInterval(timer);
        persist();
      });
    }
    closers.push(() => new Promise<void>((resolve) => functionLog.end(() => resolve())));

    const published: Pick<LocalInfo, "glueEndpoint"> = {};
    const ctx: PipelineContext = {
      dataDir,
      stage,
      region: LOCAL_REGION,
      streamName: LOCAL_STREAM_NAME,
      bucket: LOCAL_BUCKET,
      kinesisEndpoint: kinesis.endpoint,
      s3Endpoint: s3.endpoint,
      repoRoot: REPO_ROOT,
      metricsNamespace: metricsNamespace("local"),
      log,
      createFunction: (fn, values, fnOptions) => {
        const handlerFile = fnOptions.handlerFile ?? fn.sourceFile;
        const lambda = new LocalLambda({
          functionName: `eventlake-local-${fn.service}`,
          handlerFile: isAbsolute(handlerFile) ? handlerFile : join(REPO_ROOT, handlerFile),
          timeoutMs: fnOptions.timeoutSeconds * 1000,
          memoryMb: fnOptions.memoryMb ?? 512,
          region: LOCAL_REGION,
          injectedLatencyMs: plan.functionLatencyMs?.[fn.service] ?? 0,
          env: {
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
            PATH: process.env.PATH ?? "",
            // The stand-ins' endpoints, and the function's role (the S3 stand-in applies its ListBucket grants).
            ...targetEnv({ KINESIS: kinesis.endpoint, S3: s3.endpoint, ...fnOptions.endpoints }, fn.id),
            // What its stack gives it, from the same description.
            ...fn.toEnv(values),
            ...fnOptions.localEnv,
            ...options.functionEnv,
          },
          onLogLine: (line) => functionLog.write(`${line}\n`),
        });
        closers.push(() => lambda.close());
        lambdas.push(lambda);
        return lambda;
      },
      functions: () => lambdas,
      publish: (endpoints) => Object.assign(published, endpoints),
    };

    const ingest = ctx.createFunction(
      ingestFunction,
      {
        streamName: LOCAL_STREAM_NAME,
        lakeBucket: LOCAL_BUCKET,
        fallbackPrefix: LAKE_PREFIXES.fallback,
        schemaDir: join(REPO_ROOT, "schemas"),
        writeKeys: JSON.stringify({ [LOCAL_SOURCE_ID]: hashWriteKey(writeKey).toString("hex") }),
        metricsNamespace: ctx.metricsNamespace,
      },
      { timeoutSeconds: stage.ingest.timeoutSeconds, memoryMb: stage.ingest.memoryMb },
    );

    const api: LocalHttpApi = await startLocalHttpApi({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? 0,
      // The route key API Gateway reports: the matched route's, else "$default" (the function answers 404/405).
      routeKeyOf: (method, path) => {
        const route = routeForPath(path);
        return route && route.method === method ? apiRouteKey(route) : "$default";
      },
      cors: corsConfiguration(stage.api.cors.allowOrigins),
      integration: (event: APIGatewayProxyEventV2) => ingest.invoke<APIGatewayProxyStructuredResultV2>(event),
      ...(options.apiThrottling === false
        ? {}
        : { throttle: { rateLimit: stage.api.throttlingRateLimit, burstLimit: stage.api.throttlingBurstLimit } }),
      onError: (error) => log(`ingest function failed: ${(error as Error).message}`),
    });
    closers.push(() => api.close());

    const info: LocalInfo = {
      endpoint: api.url,
      writeKey,
      sourceId: LOCAL_SOURCE_ID,
      streamName: LOCAL_STREAM_NAME,
      bucket: LOCAL_BUCKET,
      kinesisEndpoint: kinesis.endpoint,
      s3Endpoint: s3.endpoint,
      region: LOCAL_REGION,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    };
    // The rest of the pipeline, in data-flow order; each stops before the parts it depends on.
    for (const component of components) {
      const started = await component.start(ctx);
      closers.push(() => started.close());
    }
    Object.assign(info, published);
    writeLocalInfo(dataDir, info);
    return { info, dataDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
