/**
 * Positions in a shard for checkpoints: a Kinesis sequence number (a decimal string, up to 128 bits) and, for
 * de-aggregated KPL records that share it, the subsequence number.
 */

export interface ShardPosition {
  sequenceNumber: string;
  subsequenceNumber: number;
}

const SEQUENCE_NUMBER = /^\d{1,128}$/;

export function isSequenceNumber(value: unknown): value is string {
  return typeof value === "string" && SEQUENCE_NUMBER.test(value);
}

/** Negative when a is before b, zero when equal, positive when after. */
export function comparePositions(a: ShardPosition, b: ShardPosition): number {
  const x = BigInt(a.sequenceNumber);
  const y = BigInt(b.sequenceNumber);
  if (x !== y) return x < y ? -1 : 1;
  return a.subsequenceNumber - b.subsequenceNumber;
}

/** True when the record at `position` comes after the checkpoint (undefined checkpoint: everything does). */
export function isAfter(position: ShardPosition, checkpoint: ShardPosition | undefined): boolean {
  return checkpoint === undefined || comparePositions(position, checkpoint) > 0;
}

/** The later of two positions. */
export function laterOf(a: ShardPosition | undefined, b: ShardPosition): ShardPosition {
  return a === undefined || comparePositions(b, a) > 0 ? b : a;
}
