/**
 * The stream-capacity port: the Kinesis control-plane calls the shard autoscaler makes (DescribeStreamSummary,
 * DescribeLimits, UpdateShardCount; packages/adapters/src/kinesis-stream-control.ts).
 */

export interface StreamCapacitySummary {
  mode: "provisioned" | "on-demand";
  /** ACTIVE, UPDATING, CREATING, DELETING. */
  status: string;
  openShards: number;
}

export interface StreamCapacityControl {
  describe(streamName: string): Promise<StreamCapacitySummary>;
  /** The account's provisioned shard quota and its open shards (all streams). */
  accountShards(): Promise<{ shardLimit: number; openShards: number }>;
  /** UpdateShardCount with UNIFORM_SCALING; resolves once AWS accepted the call (it completes asynchronously). */
  updateShardCount(streamName: string, targetShardCount: number): Promise<void>;
}
