/**
 * The local Firehose's settings, derived from the stage settings (rawArchive: buffer hints, transform timeout and
 * memory) and the raw archive's single definition (prefixes, compression), like the stack derives the real one.
 */
import { FIREHOSE } from "@eventlake/core/limits";
import { RAW_ARCHIVE, rawArchiveDeliveryStreamName } from "@eventlake/core/firehose/raw-archive";
import type { CompressionFormat } from "./object-key";
import type { StageConfig } from "@eventlake/core/stage-config";

export interface LocalFirehoseConfig {
  deliveryStreamName: string;
  /** Firehose's DeliveryStreamVersion (part of every object name); starts at 1. */
  deliveryStreamVersion: number;
  prefix: string;
  errorOutputPrefix: string;
  /** GZIP or UNCOMPRESSED locally. */
  compression: Extract<CompressionFormat, "GZIP" | "UNCOMPRESSED">;
  /** S3 destination buffering hints (size before compression). */
  bufferSizeBytes: number;
  bufferIntervalMs: number;
  processor: {
    /** The transform's BufferSizeInMBs / BufferIntervalInSeconds. */
    bufferSizeBytes: number;
    bufferIntervalMs: number;
    /** NumberOfRetries after a failed invocation. */
    retries: number;
    /** Pause before retry n is n times this. */
    retryDelayMs: number;
  };
  /** GetRecords on each shard at most this often while caught up (Firehose: about once per second). */
  pollIntervalMs: number;
  /** Pause between delivery attempts after an S3 failure (Firehose retries for up to 24 h). */
  deliveryRetryDelayMs: number;
}

const MB = 1024 * 1024;

export function localFirehoseConfig(stage: StageConfig, overrides: Partial<Omit<LocalFirehoseConfig, "processor">> & { processor?: Partial<LocalFirehoseConfig["processor"]> } = {}): LocalFirehoseConfig {
  const { rawArchive } = stage;
  const { processor, ...rest } = overrides;
  return {
    deliveryStreamName: rawArchiveDeliveryStreamName("local"),
    deliveryStreamVersion: 1,
    prefix: RAW_ARCHIVE.prefix,
    errorOutputPrefix: RAW_ARCHIVE.errorOutputPrefix,
    compression: "GZIP",
    bufferSizeBytes: rawArchive.bufferSizeMb * MB,
    bufferIntervalMs: rawArchive.bufferIntervalSeconds * 1000,
    pollIntervalMs: 1000,
    deliveryRetryDelayMs: 1000,
    ...rest,
    processor: {
      bufferSizeBytes: Math.round(rawArchive.transformBufferSizeMb * MB),
      bufferIntervalMs: rawArchive.transformBufferIntervalSeconds * 1000,
      retries: RAW_ARCHIVE.processorRetries,
      retryDelayMs: 200,
      ...processor,
    },
  };
}

/** Problems Firehose would refuse at CreateDeliveryStream (the prefixes are checked by prefix.ts's resolvePrefixes). */
export function localFirehoseConfigProblems(config: LocalFirehoseConfig): string[] {
  const problems: string[] = [];
  const { processor } = config;
  const mb = (bytes: number) => bytes / MB;
  if (mb(config.bufferSizeBytes) < FIREHOSE.destinationBufferSizeMb.min || mb(config.bufferSizeBytes) > FIREHOSE.destinationBufferSizeMb.max) {
    problems.push(`S3 buffer size must be ${FIREHOSE.destinationBufferSizeMb.min}-${FIREHOSE.destinationBufferSizeMb.max} MB`);
  }
  if (config.bufferIntervalMs < 0 || config.bufferIntervalMs > FIREHOSE.destinationBufferIntervalSeconds.max * 1000) {
    problems.push(`S3 buffer interval must be 0-${FIREHOSE.destinationBufferIntervalSeconds.max} s`);
  }
  if (mb(processor.bufferSizeBytes) < FIREHOSE.processorBufferSizeMb.min - 1e-9 || mb(processor.bufferSizeBytes) > FIREHOSE.processorBufferSizeMb.max) {
    problems.push(`transform buffer size must be ${FIREHOSE.processorBufferSizeMb.min}-${FIREHOSE.processorBufferSizeMb.max} MB`);
  }
  if (processor.bufferIntervalMs < 0 || processor.bufferIntervalMs > FIREHOSE.processorBufferIntervalSeconds.max * 1000) {
    problems.push(`transform buffer interval must be 0-${FIREHOSE.processorBufferIntervalSeconds.max} s`);
  }
  if (!Number.isInteger(processor.retries) || processor.retries < 0 || processor.retries > 300) problems.push("NumberOfRetries must be an integer in 0..300");
  if (!Number.isInteger(config.deliveryStreamVersion) || config.deliveryStreamVersion < 1) problems.push("deliveryStreamVersion must be an integer >= 1");
  return problems;
}
