/**
 * The event stream (Kinesis Data Streams): capacity mode per stage (provisioned with a starting shard count, which
 * the autoscaler then owns, or on-demand), retention, server-side encryption with KMS, enhanced (shard-level)
 * monitoring. Production stages keep the stream when the stage is removed.
 *
 * KMS: the AWS-managed key `alias/aws/kinesis` by default (see AWS_MANAGED_KINESIS_KEY): encrypted at rest with no
 * key policy to maintain and no `kms:*` grant for producers or consumers. A stage may name a customer-managed key
 * ARN instead (`streamKmsKeyArn`); the call lists then give the producer `kms:GenerateDataKey` and the consumers
 * `kms:Decrypt` on exactly that key (packages/core/src/aws-calls).
 */
import { AWS_MANAGED_KINESIS_KEY } from "@eventlake/core/stage-config";
import type { Stage } from "./stage";

export function createStream(stage: Stage) {
  const { stream } = stage.config;
  return new sst.aws.KinesisStream(
    "Events",
    {
      transform: {
        stream: (args, opts) => {
          args.retentionPeriod = stream.retentionHours;
          args.encryptionType = "KMS";
          args.kmsKeyId = stream.kmsKeyId;
          args.shardLevelMetrics = [...stream.shardLevelMetrics];
          // Consumers (Firehose, Glue) are registered by later stacks; dev stages may delete the stream regardless.
          args.enforceConsumerDeletion = !stage.config.removal.retainData;
          if (stream.mode === "provisioned") {
            args.streamModeDetails = { streamMode: "PROVISIONED" };
            args.shardCount = stream.shards;
            // The autoscaler changes the shard count at run time: a deploy must not reset it.
            opts.ignoreChanges = [...(opts.ignoreChanges ?? []), "shardCount"];
          } else {
            args.streamModeDetails = { streamMode: "ON_DEMAND" };
          }
        },
      },
    },
    stage.dataOptions,
  );
}

export type Stream = ReturnType<typeof createStream>;

/** The stream's customer-managed key, or undefined with the AWS-managed key (no KMS call is then made by us). */
export function streamKmsKeyArn(stage: Stage): string | undefined {
  const keyId = stage.config.stream.kmsKeyId;
  return keyId === AWS_MANAGED_KINESIS_KEY ? undefined : keyId;
}
