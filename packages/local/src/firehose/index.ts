/**
 * The local raw archive: the local Firehose (packages/emulators/src/firehose) wired into the pipeline, reading the
 * local stream, invoking the real transform handler (functions/firehose-transform.ts) in its Lambda sandbox, and
 * delivering gzip NDJSON to the local lake's raw/.
 */
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { clientConfig } from "@eventlake/adapters/aws-config";
import { S3ObjectStore } from "@eventlake/adapters/s3-object-store";
import { firehoseTransformFunction } from "@eventlake/core/functions/firehose-transform";
import type { LocalComponent, PipelineContext } from "../pipeline-context";
import { publishLocalMetrics } from "../metrics/publish";
import { localFirehoseConfig, type LocalFirehoseConfig } from "@eventlake/emulators/firehose/config";
import { LocalFirehose } from "@eventlake/emulators/firehose/local-firehose";
import { firehoseStateDir } from "@eventlake/emulators/firehose/state";

export interface RawArchiveComponentOptions {
  /** Overrides of the settings derived from the stage (tests shorten the intervals). */
  config?: Parameters<typeof localFirehoseConfig>[1];
  /** The transform's handler file, relative to the repository root (tests point it at misbehaving fixtures). */
  handler?: string;
  /** The transform's timeout (default: the stage's rawArchive.transformTimeoutSeconds). */
  transformTimeoutSeconds?: number;
  /** How often the stream's iterator age is published (default 10 s; tests shorten it). */
  metricsIntervalMs?: number;
}

/**
 * Kinesis's GetRecords.IteratorAgeMilliseconds (Maximum) for the local stream, from the raw archive's reads: the
 * largest age seen, published every `intervalMs` (only intervals with reads), so the stream-iterator-age alarm
 * evaluates locally as on AWS.
 */
function iteratorAgeMetric(ctx: Pick<PipelineContext, "dataDir" | "streamName">, intervalMs = 10_000) {
  let max: number | undefined;
  const publish = () => {
    if (max === undefined) return;
    publishLocalMetrics(ctx.dataDir, { namespace: "AWS/Kinesis", dimensions: { StreamName: ctx.streamName }, values: { "GetRecords.IteratorAgeMilliseconds": max }, unit: "Milliseconds" });
    max = undefined;
  };
  const timer = setInterval(publish, intervalMs);
  timer.unref();
  return {
    record: (ageMs: number) => (max = Math.max(max ?? 0, ageMs)),
    close: () => {
      clearInterval(timer);
      publish();
    },
  };
}

/** The raw archive as a part of the local pipeline (registered in components.ts). */
export function rawArchiveComponent(options: RawArchiveComponentOptions = {}): LocalComponent {
  return {
    name: "raw-archive",
    async start(ctx) {
      const config: LocalFirehoseConfig = localFirehoseConfig(ctx.stage, options.config);
      const fn = ctx.createFunction(
        firehoseTransformFunction,
        { metricsNamespace: ctx.metricsNamespace, logEvent: "false" },
        {
          timeoutSeconds: options.transformTimeoutSeconds ?? ctx.stage.rawArchive.transformTimeoutSeconds,
          memoryMb: ctx.stage.rawArchive.transformMemoryMb,
          ...(options.handler ? { handlerFile: options.handler } : {}),
        },
      );
      const iteratorAge = iteratorAgeMetric(ctx, options.metricsIntervalMs);
      const kinesis = new KinesisClient(clientConfig({ region: ctx.region, endpoint: ctx.kinesisEndpoint }));
      const store = new S3ObjectStore({ bucket: ctx.bucket, target: { region: ctx.region, endpoint: ctx.s3Endpoint } });
      const firehose = new LocalFirehose({
        config,
        kinesis,
        streamName: ctx.streamName,
        store,
        bucket: ctx.bucket,
        transform: {
          invoke: (event) => fn.invoke(event),
          arn: `arn:aws:lambda:${ctx.region}:000000000000:function:${fn.options.functionName}:$LATEST`,
        },
        stateDir: firehoseStateDir(ctx.dataDir),
        region: ctx.region,
        log: ctx.log,
        onIteratorAge: (ageMs) => iteratorAge.record(ageMs),
      });
      try {
        await firehose.start();
      } catch (error) {
        iteratorAge.close();
        kinesis.destroy();
        store.destroy();
        throw error;
      }
      ctx.log(
        `raw archive: ${config.deliveryStreamName} -> s3://${ctx.bucket}/${config.prefix.split("/")[0]}/ ` +
          `(transform every ${config.processor.bufferIntervalMs / 1000} s or ${mebibytes(config.processor.bufferSizeBytes)} MiB, ` +
          `objects every ${config.bufferIntervalMs / 1000} s or ${mebibytes(config.bufferSizeBytes)} MiB)`,
      );
      return {
        async close() {
          try {
            await firehose.close();
          } finally {
            iteratorAge.close();
            kinesis.destroy();
            store.destroy();
          }
        },
      };
    },
  };
}

/** Firehose's buffer hints are MiB (1 MiB = 1,048,576 bytes); two decimals are enough for a log line. */
function mebibytes(bytes: number): string {
  return (bytes / 1024 / 1024).toLocaleString("en-US", { maximumFractionDigits: 2 });
}
