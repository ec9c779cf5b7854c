/** The local Kinesis stand-in: kinesalite on disk behind a front with per-shard limits, resharding and faults. */
export { startLocalKinesis, type LocalKinesis, type LocalKinesisOptions } from "./local-kinesis";
export { readKinesisStats, kinesisStatsPath, type KinesisStats, type StreamStats, type ShardCounters } from "./stats";
export type { FaultInjector, FaultEntry, InjectedError, PutRecordsFaultCode } from "./faults";
