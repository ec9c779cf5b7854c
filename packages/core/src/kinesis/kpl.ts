/**
 * KPL aggregation: many user records packed into one Kinesis record, in the Kinesis Producer Library's aggregated
 * record format (aggregation-format.md in https://github.com/awslabs/amazon-kinesis-producer; consumers de-aggregate
 * it as https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-deaggregation.html describes).
 *
 *   [0..3]    magic 0xF3 0x89 0x9A 0xC2
 *   [4..N-1]  protobuf (proto2) AggregatedRecord
 *   [N..N+15] MD5 of the protobuf bytes
 *
 *   message AggregatedRecord { repeated string partition_key_table = 1;
 *                              repeated string explicit_hash_key_table = 2;
 *                              repeated Record records = 3; }
 *   message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                    required bytes data = 3; repeated Tag tags = 4; }
 *
 * The protobuf encoder and decoder are written by hand for the three messages above: sizes are computed while
 * packing, and each aggregate is written once into a buffer of its exact size.
 */
import { hash } from "node:crypto";
import { KINESIS, KPL_DEFAULT_MAX_AGGREGATED_BYTES } from "../limits";
import { parseExplicitHashKey } from "./hash-key";

export interface UserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Uint8Array;
}

export interface KinesisPutEntry {
  partitionKey: string;
  explicitHashKey?: string;
  data: Uint8Array;
  /** indexes into the input array of the user records this entry carries, in order */
  userRecordIndexes: number[];
}

export interface AggregateOptions {
  /**
   * Largest aggregated Kinesis record, counting data + outer partition key bytes like Kinesis does.
   * Default KPL_DEFAULT_MAX_AGGREGATED_BYTES; capped at maxRecordBytes.
   */
  maxAggregatedBytes?: number;
  /** When the shard map is known: maps a hash key to its shard id, and no aggregate crosses a shard. */
  shardOf?: (hashKey: bigint) => string;
  /**
   * The stream's MaxRecordSize (data + partition key). Default KINESIS.maxRecordBytes; a user record larger than
   * this throws RecordTooLargeError.
   */
  maxRecordBytes?: number;
}

/** Thrown by aggregate() for a user record that cannot be sent even on its own. */
export class RecordTooLargeError extends Error {
  override readonly name = "RecordTooLargeError";
  constructor(
    /** index of the record in the input array */
    readonly index: number,
    /** data + partition key bytes */
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`user record ${index} is ${sizeBytes} bytes (data + partition key), over the ${limitBytes}-byte Kinesis record limit`);
  }
}

const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MAGIC_BYTES = 4;
const DIGEST_BYTES = 16;
/** Bytes an aggregate adds around its protobuf message: magic + MD5. */
export const KPL_FRAMING_BYTES = MAGIC_BYTES + DIGEST_BYTES;

// Field tags: (field number << 3) | wire type 2 (length-delimited) or 0 (varint).
const TAG_PARTITION_KEY_TABLE = 0x0a;
const TAG_EXPLICIT_HASH_KEY_TABLE = 0x12;
const TAG_RECORDS = 0x1a;
const TAG_RECORD_PARTITION_KEY_INDEX = 0x08;
const TAG_RECORD_EXPLICIT_HASH_KEY_INDEX = 0x10;
const TAG_RECORD_DATA = 0x1a;

/** Bytes of a protobuf varint holding a non-negative integer below 2^35 (all our sizes and indexes). */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

function writeVarint(buf: Uint8Array, offset: number, v: number): number {
  let o = offset;
  while (v >= 0x80) {
    buf[o++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[o++] = v;
  return o;
}

/** A distinct key (partition key or explicit hash key) within one call. */
interface KeyInfo {
  key: string;
  /** UTF-8 bytes of the key */
  bytes: number;
  /** routing target of the records that route by this key; -1 until known */
  route: number;
  /** serial of the aggregate whose key table holds this key (-1: none yet), and the key's index in that table */
  tableOwner: number;
  tableIndex: number;
}

/** The distinct partition keys and explicit hash keys of a call, each measured once. */
class KeyIndex {
  private readonly partitionKeys = new Map<string, KeyInfo>();
  private readonly explicitHashKeys = new Map<string, KeyInfo>();

  partitionKey(key: string): KeyInfo {
    let info = this.partitionKeys.get(key);
    if (info === undefined) {
      info = { key, bytes: Buffer.byteLength(key, "utf8"), route: -1, tableOwner: -1, tableIndex: 0 };
      this.partitionKeys.set(key, info);
    }
    return info;
  }

  explicitHashKey(key: string): KeyInfo {
    let info = this.explicitHashKeys.get(key);
    if (info === undefined) {
      info = { key, bytes: Buffer.byteLength(key, "utf8"), route: -1, tableOwner: -1, tableIndex: 0 };
      this.explicitHashKeys.set(key, info);
    }
    return info;
  }
}

/** Top 32 bits of a 128-bit hash key given as 32 lowercase hex digits. */
function hexHi32(hex: string): number {
  let v = 0;
  for (let i = 0; i < 8; i++) {
    const c = hex.charCodeAt(i);
    v = v * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return v;
}

/** Routing targets (distinct hash keys as written, before merging equal ones), as 32-digit lowercase hex. */
class Routes {
  readonly hex: string[] = [];
  private readonly hashKeys: (bigint | undefined)[] = [];

  add(hex: string, hashKey?: bigint): number {
    this.hex.push(hex);
    this.hashKeys.push(hashKey);
    return this.hex.length - 1;
  }

  get count(): number {
    return this.hex.length;
  }

  hashKey(route: number): bigint {
    let h = this.hashKeys[route];
    if (h === undefined) {
      h = BigInt(`0x${this.hex[route]!}`);
      this.hashKeys[route] = h;
    }
    return h;
  }
}

/** Route ids sorted by hash key, ties (equal hash keys) in route id order. */
function sortRoutes(routes: Routes): Int32Array {
  const n = routes.count;
  const hex = routes.hex;
  // A native numeric sort of (top bits of the hash key, route id) packed into one double below 2^53, then an
  // exact comparison only within runs of equal top bits.
  const idBits = Math.max(21, Math.ceil(Math.log2(n + 1)));
  const idSpace = 2 ** idBits;
  const hiDivisor = 2 ** (idBits - 21); // keeps 53 - idBits of the top 32 bits
  const keys = new Float64Array(n);
  for (let r = 0; r < n; r++) keys[r] = Math.floor(hexHi32(hex[r]!) / hiDivisor) * idSpace + r;
  keys.sort();
  const sorted = new Int32Array(n);
  for (let i = 0; i < n; i++) sorted[i] = keys[i]! % idSpace;
  const compare = (a: number, b: number): number => {
    const ha = hex[a]!;
    const hb = hex[b]!;
    return ha < hb ? -1 : ha > hb ? 1 : a - b;
  };
  for (let i = 0; i < n; ) {
    const hi = Math.floor(keys[i]! / idSpace);
    let j = i + 1;
    while (j < n && Math.floor(keys[j]! / idSpace) === hi) j++;
    if (j - i > 1) sorted.subarray(i, j).sort(compare);
    i = j;
  }
  return sorted;
}

/**
 * Accumulates user records into one aggregate, tracking the exact protobuf size, and writes it out.
 * Reused across aggregates (reset() starts the next one).
 */
class Packer {
  /** serial of the current aggregate: a KeyInfo is in its tables when its tableOwner equals it */
  private serial = 0;
  private readonly pkTable: KeyInfo[] = [];
  private readonly ehkTable: KeyInfo[] = [];
  /** per packed record: input index, partition key index, explicit hash key index (-1 = none), Record size */
  private items: number[] = [];
  private readonly itemPk: number[] = [];
  private readonly itemEhk: number[] = [];
  private readonly itemSize: number[] = [];
  /** protobuf AggregatedRecord bytes so far */
  private bodyBytes = 0;

  constructor(
    private readonly records: readonly UserRecord[],
    private readonly recordPk: readonly KeyInfo[],
    private readonly recordEhk: readonly (KeyInfo | undefined)[],
  ) {}

  get count(): number {
    return this.items.length;
  }

  /** Aggregated record bytes (magic + protobuf + MD5) of what is packed now. */
  get aggregatedBytes(): number {
    return KPL_FRAMING_BYTES + this.bodyBytes;
  }

  /**
   * Adds record `index` if the aggregate stays within `limit` (data + outer partition key bytes) or is empty.
   * Returns false, leaving the packer unchanged, when it would not fit.
   */
  tryAdd(index: number, limit: number): boolean {
    const serial = this.serial;
    const pk = this.recordPk[index]!;
    const ehk = this.recordEhk[index];
    let added = 0;

    const newPk = pk.tableOwner !== serial;
    const pkIdx = newPk ? this.pkTable.length : pk.tableIndex;
    if (newPk) added += 1 + varintSize(pk.bytes) + pk.bytes;
    let ehkIdx = -1;
    let newEhk = false;
    if (ehk !== undefined) {
      newEhk = ehk.tableOwner !== serial;
      ehkIdx = newEhk ? this.ehkTable.length : ehk.tableIndex;
      if (newEhk) added += 1 + varintSize(ehk.bytes) + ehk.bytes;
    }
    const dataBytes = this.records[index]!.data.byteLength;
    const recordSize =
      1 + varintSize(pkIdx) + (ehkIdx >= 0 ? 1 + varintSize(ehkIdx) : 0) + 1 + varintSize(dataBytes) + dataBytes;
    added += 1 + varintSize(recordSize) + recordSize;

    const items = this.items;
    if (items.length > 0) {
      const outerPkBytes = this.recordPk[items[0]!]!.bytes;
      if (KPL_FRAMING_BYTES + this.bodyBytes + added + outerPkBytes > limit) return false;
    }

    if (newPk) {
      pk.tableOwner = serial;
      pk.tableIndex = pkIdx;
      this.pkTable.push(pk);
    }
    if (newEhk) {
      ehk!.tableOwner = serial;
      ehk!.tableIndex = ehkIdx;
      this.ehkTable.push(ehk!);
    }
    items.push(index);
    this.itemPk.push(pkIdx);
    this.itemEhk.push(ehkIdx);
    this.itemSize.push(recordSize);
    this.bodyBytes += added;
    return true;
  }

  /** Writes the packed records as one aggregated record. */
  encode(): Buffer {
    const bodyEnd = MAGIC_BYTES + this.bodyBytes;
    const buf = Buffer.allocUnsafe(bodyEnd + DIGEST_BYTES);
    buf.set(KPL_MAGIC, 0);
    let o = MAGIC_BYTES;
    for (const table of [this.pkTable, this.ehkTable]) {
      const tag = table === this.pkTable ? TAG_PARTITION_KEY_TABLE : TAG_EXPLICIT_HASH_KEY_TABLE;
      for (let i = 0; i < table.length; i++) {
        const info = table[i]!;
        buf[o++] = tag;
        o = writeVarint(buf, o, info.bytes);
        o += buf.write(info.key, o, info.bytes, "utf8");
      }
    }
    const records = this.records;
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const data = records[items[i]!]!.data;
      buf[o++] = TAG_RECORDS;
      o = writeVarint(buf, o, this.itemSize[i]!);
      buf[o++] = TAG_RECORD_PARTITION_KEY_INDEX;
      o = writeVarint(buf, o, this.itemPk[i]!);
      const ehkIdx = this.itemEhk[i]!;
      if (ehkIdx >= 0) {
        buf[o++] = TAG_RECORD_EXPLICIT_HASH_KEY_INDEX;
        o = writeVarint(buf, o, ehkIdx);
      }
      buf[o++] = TAG_RECORD_DATA;
      o = writeVarint(buf, o, data.byteLength);
      buf.set(data, o);
      o += data.byteLength;
    }
    if (o !== bodyEnd) throw new Error(`KPL encoder size mismatch: wrote ${o - MAGIC_BYTES}, computed ${this.bodyBytes}`);
    buf.set(md5(buf.subarray(MAGIC_BYTES, bodyEnd)), bodyEnd);
    return buf;
  }

  /**
   * The packed records as one Kinesis entry: plain when there is one record, aggregated otherwise, with
   * `outerHashKey(first index)` as the ExplicitHashKey of an aggregate whose first record has none.
   */
  toEntry(outerHashKey: (firstIndex: number) => string): KinesisPutEntry {
    const firstIndex = this.items[0]!;
    const first = this.records[firstIndex]!;
    if (this.items.length === 1) {
      const entry: KinesisPutEntry = { partitionKey: first.partitionKey, data: first.data, userRecordIndexes: this.items };
      if (first.explicitHashKey !== undefined) entry.explicitHashKey = first.explicitHashKey;
      return entry;
    }
    return {
      partitionKey: first.partitionKey,
      // routes the aggregate to the shard of its first record
      explicitHashKey: first.explicitHashKey ?? outerHashKey(firstIndex),
      data: this.encode(),
      userRecordIndexes: this.items,
    };
  }

  reset(): void {
    this.serial++;
    this.pkTable.length = 0;
    this.ehkTable.length = 0;
    // items is handed out in toEntry(): start a new array rather than truncating it
    this.items = [];
    this.itemPk.length = 0;
    this.itemEhk.length = 0;
    this.itemSize.length = 0;
    this.bodyBytes = 0;
  }
}

function md5(bytes: Uint8Array): Buffer {
  return hash("md5", bytes, "buffer");
}

function checkLimit(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= KPL_FRAMING_BYTES) {
    throw new RangeError(`${name} must be an integer above ${KPL_FRAMING_BYTES}, got ${value}`);
  }
  return value;
}

/**
 * Packs user records into Kinesis put entries like the KPL does.
 *
 * - Records are ordered by hash key (stable: records with the same hash key, so one partition key's records, keep
 *   their input order) and contiguous runs are packed; with `shardOf`, records are grouped by shard first (shards
 *   in hash-key order) and no aggregate spans two shards.
 * - An aggregate's outer partition key is its first record's; its ExplicitHashKey routes it with that record.
 * - An aggregate of one record is emitted as the plain record (its `data` is the input array, not a copy), as is
 *   a record too large to share an aggregate. A record over maxRecordBytes throws RecordTooLargeError.
 * - An ExplicitHashKey that Kinesis would reject throws InvalidExplicitHashKeyError.
 */
export function aggregate(records: readonly UserRecord[], options: AggregateOptions = {}): KinesisPutEntry[] {
  const maxRecordBytes = checkLimit("maxRecordBytes", options.maxRecordBytes ?? KINESIS.maxRecordBytes);
  const limit = Math.min(
    checkLimit("maxAggregatedBytes", options.maxAggregatedBytes ?? KPL_DEFAULT_MAX_AGGREGATED_BYTES),
    maxRecordBytes,
  );
  const n = records.length;

  // 1. Route every record, hashing and measuring each distinct key once.
  const keys = new KeyIndex();
  const routes = new Routes();
  const recordPk = new Array<KeyInfo>(n);
  const recordEhk = new Array<KeyInfo | undefined>(n);
  const recordRoute = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const record = records[i]!;
    const pk = keys.partitionKey(record.partitionKey);
    const size = record.data.byteLength + pk.bytes;
    if (size > maxRecordBytes) throw new RecordTooLargeError(i, size, maxRecordBytes);
    recordPk[i] = pk;
    const ehkString = record.explicitHashKey;
    let routeKey = pk;
    if (ehkString !== undefined) {
      routeKey = keys.explicitHashKey(ehkString);
      recordEhk[i] = routeKey;
      if (routeKey.route < 0) {
        const hashKey = parseExplicitHashKey(ehkString);
        routeKey.route = routes.add(hashKey.toString(16).padStart(32, "0"), hashKey);
      }
    } else if (pk.route < 0) {
      pk.route = routes.add(hash("md5", pk.key, "hex"));
    }
    recordRoute[i] = routeKey.route;
  }

  // 2. Stable sort by hash key: routes sorted, equal hash keys merged into one rank, then records counting-sorted
  //    by rank in input order. With a shard map, ranks are grouped by shard first.
  const sorted = sortRoutes(routes);
  const rankOf = new Int32Array(routes.count);
  const rankRoute: number[] = []; // a route of each rank
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (i === 0 || routes.hex[r] !== routes.hex[sorted[i - 1]!]) rankRoute.push(r);
    rankOf[r] = rankRoute.length - 1;
  }
  const ranks = rankRoute.length;
  let rankOrder: number[] | Int32Array;
  /** how many ranks each group (shard) has, in rankOrder */
  let groupSizes: number[];
  const shardOf = options.shardOf;
  if (shardOf === undefined) {
    rankOrder = Int32Array.from({ length: ranks }, (_, i) => i);
    groupSizes = [ranks];
  } else {
    const byShard = new Map<string, number[]>();
    for (let k = 0; k < ranks; k++) {
      const shard = shardOf(routes.hashKey(rankRoute[k]!));
      const group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, [k]);
      else group.push(k);
    }
    rankOrder = [];
    groupSizes = [];
    for (const group of byShard.values()) {
      for (const k of group) rankOrder.push(k);
      groupSizes.push(group.length);
    }
  }
  const start = new Int32Array(ranks);
  for (let i = 0; i < n; i++) start[rankOf[recordRoute[i]!]!]!++;
  const groupEnds: number[] = []; // record positions where a group ends
  let position = 0;
  let g = 0;
  let inGroup = 0;
  for (let j = 0; j < ranks; j++) {
    const k = rankOrder[j]!;
    const count = start[k]!;
    start[k] = position;
    position += count;
    if (++inGroup === groupSizes[g]) {
      groupEnds.push(position);
      g++;
      inGroup = 0;
    }
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[rankOf[recordRoute[i]!]!]!++] = i;

  // 3. Pack contiguous runs, never across a group end.
  const packer = new Packer(records, recordPk, recordEhk);
  const outerHashKey = (firstIndex: number): string => routes.hashKey(recordRoute[firstIndex]!).toString();
  const entries: KinesisPutEntry[] = [];
  const flush = (): void => {
    if (packer.count === 0) return;
    entries.push(packer.toEntry(outerHashKey));
    packer.reset();
  };
  let p = 0;
  for (const end of groupEnds) {
    for (; p < end; p++) {
      const index = order[p]!;
      if (!packer.tryAdd(index, limit)) {
        flush();
        packer.tryAdd(index, limit);
      }
    }
    flush();
  }
  return entries;
}

function packAll(records: readonly UserRecord[]): Packer {
  const keys = new KeyIndex();
  const recordPk = records.map((r) => keys.partitionKey(r.partitionKey));
  const recordEhk = records.map((r) => (r.explicitHashKey === undefined ? undefined : keys.explicitHashKey(r.explicitHashKey)));
  const packer = new Packer(records, recordPk, recordEhk);
  for (let i = 0; i < records.length; i++) packer.tryAdd(i, Number.POSITIVE_INFINITY);
  return packer;
}

/**
 * Encodes the given records, in order, as one aggregated record regardless of size limits (the caller checks
 * them; see aggregatedSize). Always aggregated, even for one or zero records.
 */
export function encodeAggregatedRecord(records: readonly UserRecord[]): Buffer {
  return packAll(records).encode();
}

/** Size in bytes of the aggregated data blob (magic + protobuf + MD5) that encodeAggregatedRecord would return. */
export function aggregatedSize(records: readonly UserRecord[]): number {
  return packAll(records).aggregatedBytes;
}

function hasMagic(data: Uint8Array): boolean {
  return (
    data.byteLength >= KPL_FRAMING_BYTES &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

function digestMatches(data: Uint8Array): boolean {
  const bodyEnd = data.byteLength - DIGEST_BYTES;
  const digest = md5(data.subarray(MAGIC_BYTES, bodyEnd));
  for (let i = 0; i < DIGEST_BYTES; i++) if (digest[i] !== data[bodyEnd + i]) return false;
  return true;
}

/** True when the data is a KPL aggregated record: the magic matches AND the MD5 verifies. */
export function isAggregated(data: Uint8Array): boolean {
  return hasMagic(data) && digestMatches(data);
}

/** Signals malformed protobuf inside decode(); never escapes this module. */
class Malformed extends Error {}

/** Minimal proto2 reader over [pos, end) of buf. */
class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Malformed();
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 0x80;
    }
    throw new Malformed();
  }

  /** Reads a length prefix and returns the end offset of the delimited bytes, leaving pos at their start. */
  delimitedEnd(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw new Malformed();
    return end;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.delimitedEnd();
        return;
      case 5:
        this.advance(4);
        return;
      default: // groups (3, 4) are not used by this format; 6 and 7 do not exist
        throw new Malformed();
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Malformed();
    this.pos += n;
  }
}

/** Decodes an AggregatedRecord from buf[start, end); throws Malformed. */
function decode(buf: Buffer, start: number, end: number): UserRecord[] {
  const r = new Reader(buf, start, end);
  const pkTable: string[] = [];
  const ehkTable: string[] = [];
  // Records may precede the key tables on the wire: resolve indexes at the end.
  const recPk: number[] = [];
  const recEhk: number[] = [];
  const recData: Buffer[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wireType = tag & 7;
    if (wireType === 2 && (field === 1 || field === 2)) {
      const stringEnd = r.delimitedEnd();
      const s = buf.toString("utf8", r.pos, stringEnd);
      r.pos = stringEnd;
      (field === 1 ? pkTable : ehkTable).push(s);
    } else if (wireType === 2 && field === 3) {
      const recordEnd = r.delimitedEnd();
      const outerEnd = r.end;
      r.end = recordEnd;
      let pkIdx = -1;
      let ehkIdx = -1;
      let data: Buffer | undefined;
      while (r.pos < recordEnd) {
        const t = r.varint();
        const f = Math.floor(t / 8);
        const wt = t & 7;
        if (f === 1 && wt === 0) pkIdx = r.varint();
        else if (f === 2 && wt === 0) ehkIdx = r.varint();
        else if (f === 3 && wt === 2) {
          const dataEnd = r.delimitedEnd();
          data = buf.subarray(r.pos, dataEnd);
          r.pos = dataEnd;
        } else if (f === 0) throw new Malformed();
        else r.skip(wt); // tags (4) and unknown fields
      }
      r.end = outerEnd;
      if (pkIdx < 0 || data === undefined) throw new Malformed(); // required fields
      recPk.push(pkIdx);
      recEhk.push(ehkIdx);
      recData.push(data);
    } else if (field === 0) {
      throw new Malformed();
    } else {
      r.skip(wireType);
    }
  }
  const out: UserRecord[] = new Array<UserRecord>(recData.length);
  for (let i = 0; i < recData.length; i++) {
    const partitionKey = pkTable[recPk[i]!];
    if (partitionKey === undefined) throw new Malformed();
    const ehkIdx = recEhk[i]!;
    if (ehkIdx >= 0) {
      const explicitHashKey = ehkTable[ehkIdx];
      if (explicitHashKey === undefined) throw new Malformed();
      out[i] = { partitionKey, explicitHashKey, data: recData[i]! };
    } else {
      out[i] = { partitionKey, data: recData[i]! };
    }
  }
  return out;
}

/**
 * Splits a Kinesis record into its user records. Data that is not aggregated (wrong magic, MD5 mismatch,
 * truncated) or whose protobuf is malformed passes through as one record unchanged, with the outer keys.
 * De-aggregated `data` arrays are views into `data`, not copies.
 */
export function deaggregate(data: Uint8Array, outerPartitionKey: string, outerExplicitHashKey?: string): UserRecord[] {
  if (hasMagic(data) && digestMatches(data)) {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    try {
      return decode(buf, MAGIC_BYTES, buf.byteLength - DIGEST_BYTES);
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
    }
  }
  const passthrough: UserRecord = { partitionKey: outerPartitionKey, data };
  if (outerExplicitHashKey !== undefined) passthrough.explicitHashKey = outerExplicitHashKey;
  return [passthrough];
}

