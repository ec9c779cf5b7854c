"""Curation state across micro-batches (dedup keys, open aggregate windows, the watermark): which version a batch
reads and which it writes (pure).

The compiled statements are pure functions of (batch rows, previous state) -> (outputs, next state). Each batch
writes its next state to its own versioned prefix (`state/<name>/batch=<id>/`) and then moves a small pointer. A
replay of batch N (Spark re-runs a batch whose offsets were not committed) therefore reads exactly the state batch N
read the first time, even if the first attempt already wrote N's state and moved the pointer: replays produce the
same rows and the same names, and overwrite.
"""
from __future__ import annotations

import json
from typing import Iterable, List, NamedTuple, Optional

from .layout import batch_label, join_key


class StateError(RuntimeError):
    """The state does not fit the stream checkpoint (e.g. the checkpoint was deleted but the state was not)."""


class StatePointer(NamedTuple):
    #: the last batch that committed its state
    batch_id: int
    #: the state version that batch read (None: it started from empty state)
    previous: Optional[int]


def pointer_key(state_prefix: str) -> str:
    return join_key(state_prefix, "pointer.json")


def state_prefix_for(state_prefix: str, name: str, batch_id: int) -> str:
    return join_key(state_prefix, "state", name, f"batch={batch_label(batch_id)}") + "/"


def decode_pointer(raw: Optional[bytes]) -> Optional[StatePointer]:
    if raw is None:
        return None
    body = json.loads(raw.decode("utf-8"))
    batch_id = body.get("batchId")
    previous = body.get("previous")
    if not isinstance(batch_id, int) or batch_id < 0 or not (previous is None or (isinstance(previous, int) and 0 <= previous < batch_id)):
        raise StateError(f"state pointer is malformed: {body!r}")
    return StatePointer(batch_id, previous)


def encode_pointer(pointer: StatePointer) -> bytes:
    return json.dumps({"batchId": pointer.batch_id, "previous": pointer.previous}, separators=(",", ":")).encode("utf-8")


def state_to_read(pointer: Optional[StatePointer], batch_id: int) -> Optional[int]:
    """The state version batch `batch_id` reads (None: empty state)."""
    if pointer is None:
        return None
    if pointer.batch_id < batch_id:
        return pointer.batch_id
    if pointer.batch_id == batch_id:
        # A replay of the batch that already committed its state: read what it read the first time.
        return pointer.previous
    raise StateError(
        f"the curation state was last written by batch {pointer.batch_id}, but the stream checkpoint is at batch "
        f"{batch_id}: the checkpoint was reset without the state. To reprocess the stream, delete the checkpoint, "
        "the state and the manifests together (glue/README.md, 'Reprocessing and resets'); to keep going, restore the checkpoint."
    )


def next_pointer(batch_id: int, read: Optional[int]) -> StatePointer:
    return StatePointer(batch_id, read)


def stale_versions(existing: Iterable[int], pointer: StatePointer) -> List[int]:
    """State versions no batch can read any more: all but the pointer's batch and the version it read."""
    keep = {pointer.batch_id}
    if pointer.previous is not None:
        keep.add(pointer.previous)
    return sorted(v for v in set(existing) if v not in keep)


def parse_version_dir(name: str) -> Optional[int]:
    """`batch=000000000042` -> 42; anything else -> None."""
    if not name.startswith("batch="):
        return None
    digits = name[len("batch=") :].rstrip("/")
    return int(digits) if digits.isdigit() else None
