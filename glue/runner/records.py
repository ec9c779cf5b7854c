"""Stream record -> rows of the contract's input relation `raw_records` (pure).

One Kinesis record becomes one row per user record (KPL de-aggregation, runner/kpl.py). Each row carries the user
record as UTF-8 text (`data`), or, when the bytes are not valid UTF-8, NULL text and the bytes in base64
(`data_base64`) so that the curation statements quarantine it as `undecodable_record` with its payload kept. The
arrival time is the Kinesis record's, shared by its user records. Nothing here judges content: that is the
compiled statements' job.
"""
from __future__ import annotations

import base64
from typing import List, NamedTuple, Optional

from .kpl import deaggregate


class InputRow(NamedTuple):
    data: Optional[str]
    data_base64: Optional[str]


def decode_user_record(data: bytes) -> InputRow:
    """Strict UTF-8 (no replacement characters, no lone surrogates): text, else base64 of the exact bytes."""
    try:
        return InputRow(data.decode("utf-8", errors="strict"), None)
    except UnicodeDecodeError:
        return InputRow(None, base64.b64encode(data).decode("ascii"))


def input_rows(data: Optional[bytes], partition_key: Optional[str]) -> List[InputRow]:
    """All input rows of one Kinesis record (an aggregate of zero user records yields none)."""
    raw = b"" if data is None else bytes(data)
    return [decode_user_record(r.data) for r in deaggregate(raw, partition_key or "")]
