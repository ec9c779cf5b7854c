import { DescribeLimitsCommand, DescribeStreamSummaryCommand, KinesisClient, UpdateShardCountCommand } from "@aws-sdk/client-kinesis";
import type { StreamCapacityControl, StreamCapacitySummary } from "@eventlake/core/ports";
import { clientConfig, type AwsTarget } from "./aws-config";

/**
 * The autoscaler's Kinesis calls: DescribeStreamSummary (mode, status, open shards), DescribeLimits (account shard
 * quota) and UpdateShardCount (UNIFORM_SCALING). UpdateShardCount goes through a client that never retries: a
 * retry after a lost response would be refused (the stream is UPDATING) and look like a failure, and every call
 * counts toward the 10 per rolling 24 h. The next scheduled run is the retry.
 * IAM: kinesis:DescribeStreamSummary and kinesis:UpdateShardCount on the stream; kinesis:DescribeLimits on "*"
 * (an account-level call with no resource).
 */
export class KinesisStreamControl implements StreamCapacityControl {
  private readonly reader: KinesisClient;
  private readonly writer: KinesisClient;

  constructor(options: { target: AwsTarget }) {
    this.reader = new KinesisClient(clientConfig(options.target));
    this.writer = new KinesisClient(clientConfig(options.target, { maxAttempts: 1 }));
  }

  async describe(streamName: string): Promise<StreamCapacitySummary> {
    const out = await this.reader.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    const summary = out.StreamDescriptionSummary;
    if (!summary) throw new Error(`DescribeStreamSummary returned no summary for ${streamName}`);
    return {
      // Streams created before capacity modes existed (and kinesalite's) carry no mode: they are provisioned.
      mode: summary.StreamModeDetails?.StreamMode === "ON_DEMAND" ? "on-demand" : "provisioned",
      status: summary.StreamStatus ?? "UNKNOWN",
      openShards: summary.OpenShardCount ?? 0,
    };
  }

  async accountShards(): Promise<{ shardLimit: number; openShards: number }> {
    const out = await this.reader.send(new DescribeLimitsCommand({}));
    if (out.ShardLimit === undefined || out.OpenShardCount === undefined) throw new Error("DescribeLimits returned no shard limit");
    return { shardLimit: out.ShardLimit, openShards: out.OpenShardCount };
  }

  async updateShardCount(streamName: string, targetShardCount: number): Promise<void> {
    await this.writer.send(new UpdateShardCountCommand({ StreamName: streamName, TargetShardCount: targetShardCount, ScalingType: "UNIFORM_SCALING" }));
  }

  destroy(): void {
    this.reader.destroy();
    this.writer.destroy();
  }
}
