import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { deaggregate } from "@eventlake/core/kinesis/kpl";

export interface ReadUserRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Buffer;
}

/** Reads every record of every shard (open and closed) from the start, de-aggregating KPL records. */
export async function readWholeStream(client: KinesisClient, streamName: string): Promise<ReadUserRecord[]> {
  const out: ReadUserRecord[] = [];
  const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: "TRIM_HORIZON" }))
    ).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        for (const user of deaggregate(record.Data!, record.PartitionKey!, undefined)) {
          out.push({ shardId: shard.ShardId!, sequenceNumber: record.SequenceNumber!, partitionKey: user.partitionKey, data: Buffer.from(user.data) });
        }
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
