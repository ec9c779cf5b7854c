"""Curation state across micro-batches (dedup keys, open aggregate windows, the watermark): which version a batch
reads and which it writes (pure).

The compiled statements are pure functions of (batch rows, previous state) -> (outputs, next state). A batch never
rewrites the state it read (ARCHITECTURE.md, "Curation state"):
- segmented state (dedup keys, aggregate counts): the batch writes only its own segment
  (`state/<name>/segment=<id>/`, rows in proportion to the batch) and a small list of the live segments after it
  (`live-segments/batch=<id>.json`: per state, [segment batch id, bound]), from which segments whose bound fell below
  the batch's live-from are left out, whole;
- whole state (the one-row watermark): the batch writes the next version to its own prefix (`state/<name>/batch=<id>/`).
Then it moves a small pointer. A replay of batch N (Spark re-runs a batch whose offsets were not committed) therefore
reads exactly the state batch N read the first time (the live list and versions of the batch the pointer says N read),
even if the first attempt already wrote N's state and moved the pointer: replays produce the same rows and the same
names, and overwrite.
"""
from __future__ import annotations

import json
from typing import Dict, Iterable, List, NamedTuple, Optional, Tuple

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


#: Per segmented state, its live segments in batch order: (segment batch id, bound in microseconds).
LiveSegments = Dict[str, List[Tuple[int, int]]]


def segment_prefix_for(state_prefix: str, name: str, batch_id: int) -> str:
    return join_key(state_prefix, "state", name, f"segment={batch_label(batch_id)}") + "/"


def live_segments_root(state_prefix: str) -> str:
    return join_key(state_prefix, "live-segments") + "/"


def live_segments_key(state_prefix: str, batch_id: int) -> str:
    return join_key(live_segments_root(state_prefix), f"batch={batch_label(batch_id)}.json")


def encode_live_segments(batch_id: int, live: LiveSegments) -> bytes:
    body = {"batchId": batch_id, "segments": {name: [[b, bound] for b, bound in segs] for name, segs in sorted(live.items())}}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def decode_live_segments(raw: Optional[bytes], batch_id: int) -> LiveSegments:
    """The live list a batch wrote. Missing for a version the pointer names: the state is incomplete (StateError)."""
    if raw is None:
        raise StateError(f"the live segment list of state version {batch_id} is missing: the state prefix was changed by hand")
    body = json.loads(raw.decode("utf-8"))
    segments = body.get("segments") if isinstance(body, dict) else None
    if body.get("batchId") != batch_id or not isinstance(segments, dict):
        raise StateError(f"the live segment list of state version {batch_id} is malformed: {body!r}")
    live: LiveSegments = {}
    for name, segs in segments.items():
        if not isinstance(segs, list) or not all(isinstance(x, list) and len(x) == 2 and all(isinstance(v, int) for v in x) for x in segs):
            raise StateError(f"the live segment list of state version {batch_id} is malformed: {name}: {segs!r}")
        live[str(name)] = [(b, bound) for b, bound in segs]
    return live


def next_live_segments(read: LiveSegments, batch_id: int, bounds: Dict[str, Tuple[Optional[int], Optional[int]]]) -> LiveSegments:
    """The live segments after `batch_id`: what it read, minus the segments whose bound fell below its live-from
    (dropped whole), plus its own segment when it has one. bounds: per state, (this batch's bound, live_from), each
    None when the batch's segment is empty / when every segment stays live. Earlier segments are only referenced,
    never rewritten: the size of what a batch writes follows its own segment."""
    live: LiveSegments = {}
    for name, (bound, live_from) in bounds.items():
        kept = [(b, v) for b, v in read.get(name, []) if b < batch_id and (live_from is None or v >= live_from)]
        if bound is not None and (live_from is None or bound >= live_from):
            kept.append((batch_id, bound))
        live[name] = kept
    return live


def parse_segment_dir(name: str) -> Optional[int]:
    """`segment=0000000042` -> 42; anything else -> None."""
    if not name.startswith("segment="):
        return None
    digits = name[len("segment=") :].rstrip("/")
    return int(digits) if digits.isdigit() else None


def stale_segments(existing: Iterable[int], keep: Iterable[LiveSegments], batch_id: int) -> List[int]:
    """Segments no batch can read any more: written before `batch_id` and in none of the kept live lists (the one
    the batch wrote and the one it read, which a replay of it reads again). Segments of `batch_id` or later are never
    stale here (a replay rewrites them; a later batch owns them)."""
    referenced = {b for live in keep for segs in live.values() for b, _ in segs}
    return sorted(b for b in set(existing) if b < batch_id and b not in referenced)
