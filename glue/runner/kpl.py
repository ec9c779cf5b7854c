"""KPL de-aggregation, in the job itself (pure; standard library only).

Why here: whether Glue's Kinesis source de-aggregates KPL records is not documented by AWS
(https://docs.aws.amazon.com/streams/latest/dev/kinesis-record-deaggregation.html names Lambda and the KCL only),
and our producer (functions/ingest.ts) always aggregates. The job therefore reads the raw record bytes and calls `deaggregate` on every record. It is correct either way: a record that is not an aggregate (wrong magic,
MD5 mismatch, truncated, malformed protobuf) passes through unchanged as one user record, exactly like
packages/core/src/kinesis/kpl.ts `deaggregate()` and awslabs' deaggregators. If Glue did de-aggregate first, every
record simply passes through.

Wire format (https://github.com/awslabs/amazon-kinesis-producer/blob/master/aggregation-format.md):
    [0..3]    magic 0xF3 0x89 0x9A 0xC2
    [4..N-1]  protobuf AggregatedRecord {1: repeated string partition_key_table, 2: repeated string
              explicit_hash_key_table, 3: repeated Record records}
              Record {1: uint64 partition_key_index (required), 2: uint64 explicit_hash_key_index,
                      3: bytes data (required), 4: repeated Tag tags}
    [N..N+15] MD5 of the protobuf bytes
"""
from __future__ import annotations

import hashlib
from typing import List, NamedTuple, Optional

KPL_MAGIC = b"\xf3\x89\x9a\xc2"
DIGEST_BYTES = 16
FRAMING_BYTES = len(KPL_MAGIC) + DIGEST_BYTES


class UserRecord(NamedTuple):
    partition_key: str
    data: bytes
    explicit_hash_key: Optional[str] = None


class _Malformed(Exception):
    """Malformed protobuf inside an aggregate that passed the MD5 check; never escapes this module."""


def is_aggregated(data: bytes) -> bool:
    """True when the bytes are a KPL aggregate: the magic matches AND the MD5 of the protobuf verifies."""
    if len(data) < FRAMING_BYTES or data[:4] != KPL_MAGIC:
        return False
    body = data[4 : len(data) - DIGEST_BYTES]
    return hashlib.md5(body).digest() == data[len(data) - DIGEST_BYTES :]


def _varint(buf: memoryview, pos: int, end: int) -> "tuple[int, int]":
    result = 0
    shift = 0
    for _ in range(10):
        if pos >= end:
            raise _Malformed()
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
    raise _Malformed()


def _delimited(buf: memoryview, pos: int, end: int) -> "tuple[int, int]":
    """Reads a length prefix; returns (start, stop) of the delimited bytes."""
    length, pos = _varint(buf, pos, end)
    stop = pos + length
    if stop > end:
        raise _Malformed()
    return pos, stop


def _skip(buf: memoryview, pos: int, end: int, wire_type: int) -> int:
    if wire_type == 0:
        return _varint(buf, pos, end)[1]
    if wire_type == 1:
        stop = pos + 8
    elif wire_type == 2:
        return _delimited(buf, pos, end)[1]
    elif wire_type == 5:
        stop = pos + 4
    else:  # groups (3, 4) are not used by this format; 6 and 7 do not exist
        raise _Malformed()
    if stop > end:
        raise _Malformed()
    return stop


def _utf8(raw: memoryview) -> str:
    # Lenient like the TypeScript decoder (Buffer.toString): invalid UTF-8 in a key becomes U+FFFD, the record is kept.
    return bytes(raw).decode("utf-8", errors="replace")


def _decode(buf: memoryview, start: int, end: int) -> List[UserRecord]:
    pk_table: List[str] = []
    ehk_table: List[str] = []
    records: List["tuple[int, int, bytes]"] = []  # (pk index, ehk index or -1, data)
    pos = start
    while pos < end:
        tag, pos = _varint(buf, pos, end)
        field, wire_type = tag >> 3, tag & 7
        if field == 0:
            raise _Malformed()
        if wire_type == 2 and field in (1, 2):
            s, e = _delimited(buf, pos, end)
            (pk_table if field == 1 else ehk_table).append(_utf8(buf[s:e]))
            pos = e
        elif wire_type == 2 and field == 3:
            s, record_end = _delimited(buf, pos, end)
            pk_index = -1
            ehk_index = -1
            data: Optional[bytes] = None
            p = s
            while p < record_end:
                t, p = _varint(buf, p, record_end)
                f, wt = t >> 3, t & 7
                if f == 0:
                    raise _Malformed()
                if f == 1 and wt == 0:
                    pk_index, p = _varint(buf, p, record_end)
                elif f == 2 and wt == 0:
                    ehk_index, p = _varint(buf, p, record_end)
                elif f == 3 and wt == 2:
                    ds, de = _delimited(buf, p, record_end)
                    data = bytes(buf[ds:de])
                    p = de
                else:  # tags (4) and unknown fields
                    p = _skip(buf, p, record_end, wt)
            if pk_index < 0 or data is None:  # required fields
                raise _Malformed()
            records.append((pk_index, ehk_index, data))
            pos = record_end
        else:
            pos = _skip(buf, pos, end, wire_type)
    # Records may precede the key tables on the wire: indexes are resolved at the end.
    out: List[UserRecord] = []
    for pk_index, ehk_index, data in records:
        if pk_index >= len(pk_table):
            raise _Malformed()
        ehk: Optional[str] = None
        if ehk_index >= 0:
            if ehk_index >= len(ehk_table):
                raise _Malformed()
            ehk = ehk_table[ehk_index]
        out.append(UserRecord(pk_table[pk_index], data, ehk))
    return out


def deaggregate(data: bytes, partition_key: str, explicit_hash_key: Optional[str] = None) -> List[UserRecord]:
    """Splits one Kinesis record into its user records.

    Not an aggregate (or a malformed one): one record, the data unchanged, with the outer keys. Never raises on bad
    bytes: undecodable data must reach the curation statements (and quarantine), not crash the batch.
    """
    raw = bytes(data) if not isinstance(data, bytes) else data
    if is_aggregated(raw):
        try:
            return _decode(memoryview(raw), len(KPL_MAGIC), len(raw) - DIGEST_BYTES)
        except _Malformed:
            pass
    return [UserRecord(partition_key, raw, explicit_hash_key)]
