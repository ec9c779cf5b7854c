"""One micro-batch, start to finish, over two small interfaces (pure orchestration, unit-tested with fakes).

`Engine` is what Spark does (register relations, run the compiled statements, write Parquet); `Store` is what S3
does (get, put, list, copy, delete). eventlake_job.py implements both on Spark and boto3. The order of the steps is
what makes a replayed batch (Spark re-runs batch N after a failure, with the same records) leave the lake exactly as
one clean run would:

  1. read the state pointer: the state version this batch reads (a replay reads what the first attempt read), and
     that version's live segments
  2. clear the batch's staging prefix (leftovers of a failed attempt)
  3. register the batch's relations (segmented state: the union of the live segments), run the statements
  4. write each table to staging; the batch's own segments and whole-state versions (overwrite); the live
     segments after this batch (runner/state.py): earlier segments are referenced, never rewritten
  5. publish: manifest := earlier attempt's keys + this attempt's keys; copy staged files to their final names;
     delete the earlier attempt's keys this attempt did not produce; manifest := this attempt's keys
  6. move the state pointer to this batch (the state commit)
  7. clean up: staging, state versions and segments no batch can read any more, manifests of earlier batches
Spark commits the batch's offsets after the function returns. A crash anywhere before that replays the batch; a
crash after step 6 replays it with the pointer already moved, which step 1 handles.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Dict, List, NamedTuple, Optional

try:  # Python 3.8+
    from typing import Protocol
except ImportError:  # pragma: no cover
    Protocol = object  # type: ignore

from .args import JobArgs
from .layout import (
    PublishPlan,
    batch_label,
    decode_manifest,
    encode_manifest,
    join_key,
    manifest_key,
    merge_manifests,
    plan_publish,
    s3_uri,
    staging_key,
)
from .plan import Plan, State, Statement, Table
from .state import (
    LiveSegments,
    decode_live_segments,
    decode_pointer,
    encode_live_segments,
    encode_pointer,
    live_segments_key,
    live_segments_root,
    next_live_segments,
    next_pointer,
    parse_segment_dir,
    parse_version_dir,
    pointer_key,
    segment_prefix_for,
    stale_segments,
    stale_versions,
    state_prefix_for,
    state_to_read,
)


class Engine(Protocol):
    def is_empty(self) -> bool: ...
    def provide_batch(self, batch_id: int, processing_time: dt.datetime) -> None: ...
    def provide_state(self, state: State, uris: List[str]) -> None: ...
    def run_statement(self, statement: Statement) -> None: ...
    def write_table(self, table: Table, uri: str) -> None: ...
    def write_state(self, state: State, uri: str) -> None: ...
    def collect_stats(self, relation: str) -> Dict[str, Any]: ...
    def cleanup(self, statements: List[str]) -> None: ...


class Store(Protocol):
    def get(self, bucket: str, key: str) -> Optional[bytes]: ...
    def put(self, bucket: str, key: str, body: bytes) -> None: ...
    def list(self, bucket: str, prefix: str) -> List[str]: ...
    def copy(self, copies: List["tuple[str, str, str, str]"]) -> None: ...
    def delete(self, bucket: str, keys: List[str]) -> None: ...


class BatchResult(NamedTuple):
    batch_id: int
    skipped: bool
    state_read: Optional[int] = None
    stats: Dict[str, Any] = {}
    files: Dict[str, int] = {}
    replaced: int = 0


def process_batch(args: JobArgs, plan: Plan, batch_id: int, engine: Engine, store: Store, now: dt.datetime) -> BatchResult:
    if engine.is_empty():
        return BatchResult(batch_id, skipped=True)
    assets, lake = args.assets_bucket, args.lake_bucket

    # 1. Which state this batch reads.
    pointer = decode_pointer(store.get(assets, pointer_key(args.state_prefix)))
    read = state_to_read(pointer, batch_id)
    segmented = [s for s in plan.state if s.segments]
    live_read: LiveSegments = {}
    if read is not None and segmented:
        live_read = decode_live_segments(store.get(assets, live_segments_key(args.state_prefix, read)), read)

    # 2. A clean staging prefix.
    batch_staging = join_key(args.staging_prefix, f"batch={batch_label(batch_id)}") + "/"
    leftovers = store.list(assets, batch_staging)
    if leftovers:
        store.delete(assets, leftovers)

    # 3. Relations and statements.
    engine.provide_batch(batch_id, now)

    def segment_uri(name: str, b: int) -> str:
        return s3_uri(assets, segment_prefix_for(args.state_prefix, name, b))

    def version_uri(name: str, b: int) -> str:
        return s3_uri(assets, state_prefix_for(args.state_prefix, name, b))

    provide_states(engine, plan, read, live_read, segment_uri, version_uri)
    for statement in plan.statements:
        engine.run_statement(statement)

    # 4. Staged tables and the next state.
    for table in plan.tables:
        engine.write_table(table, s3_uri(assets, staging_key(args.staging_prefix, batch_id, table.name)))
    live = write_states(engine, plan, batch_id, live_read, segment_uri, version_uri)
    if segmented:
        store.put(assets, live_segments_key(args.state_prefix, batch_id), encode_live_segments(batch_id, live))
    stats = engine.collect_stats(plan.stats_relation) if plan.stats_relation else {}

    # 5. Publish with a manifest that always covers what is in the lake.
    earlier = decode_manifest(store.get(assets, manifest_key(args.state_prefix, batch_id)), batch_id)
    plans: Dict[str, PublishPlan] = {}
    for table in plan.tables:
        prefix = staging_key(args.staging_prefix, batch_id, table.name)
        plans[table.name] = plan_publish(
            table.name, store.list(assets, prefix), prefix, table.prefix, batch_id, table.partition_columns, earlier.get(table.name, [])
        )
    produced = {name: p.keys for name, p in plans.items()}
    store.put(assets, manifest_key(args.state_prefix, batch_id), encode_manifest(batch_id, merge_manifests(earlier, produced)))
    store.copy([(assets, c.source_key, lake, c.target_key) for p in plans.values() for c in p.copies])
    stale = sorted({k for p in plans.values() for k in p.deletes} | _orphans(earlier, produced))
    if stale:
        store.delete(lake, stale)
    store.put(assets, manifest_key(args.state_prefix, batch_id), encode_manifest(batch_id, produced))

    # 6. The state commit.
    new_pointer = next_pointer(batch_id, read)
    store.put(assets, pointer_key(args.state_prefix), encode_pointer(new_pointer))

    # 7. Clean-up (a crash here leaves garbage for the next batch's clean-up, never wrong data).
    staged = store.list(assets, batch_staging)
    if staged:
        store.delete(assets, staged)
    for state in plan.state:
        root = join_key(args.state_prefix, "state", state.name) + "/"
        keys = store.list(assets, root)
        if state.segments:
            parse = parse_segment_dir
            drop = set(stale_segments({v for v in (parse(k[len(root) :].split("/", 1)[0]) for k in keys) if v is not None}, [live, live_read], batch_id))
        else:
            parse = parse_version_dir
            drop = set(stale_versions({v for v in (parse(k[len(root) :].split("/", 1)[0]) for k in keys) if v is not None}, new_pointer))
        doomed = [k for k in keys if parse(k[len(root) :].split("/", 1)[0]) in drop]
        if doomed:
            store.delete(assets, doomed)
    if segmented:
        lists_root = live_segments_root(args.state_prefix)
        keep_lists = {live_segments_key(args.state_prefix, batch_id)} | ({live_segments_key(args.state_prefix, read)} if read is not None else set())
        old_lists = [k for k in store.list(assets, lists_root) if k not in keep_lists]
        if old_lists:
            store.delete(assets, old_lists)
    manifests_root = join_key(args.state_prefix, "manifests") + "/"
    old_manifests = [k for k in store.list(assets, manifests_root) if k != manifest_key(args.state_prefix, batch_id)]
    if old_manifests:
        store.delete(assets, old_manifests)
    engine.cleanup(plan.cleanup)

    return BatchResult(
        batch_id,
        skipped=False,
        state_read=read,
        stats=stats,
        files={name: len(p.copies) for name, p in plans.items()},
        replaced=len(stale),
    )


def provide_states(
    engine: Engine, plan: Plan, read: Optional[int], live_read: LiveSegments, segment_uri: Callable[[str, int], str], version_uri: Callable[[str, int], str]
) -> None:
    """Registers each state relation a batch reads: the live segments of the version it reads, or that whole version."""
    for state in plan.state:
        if state.segments:
            uris = [segment_uri(state.name, b) for b, _ in live_read.get(state.name, [])]
        else:
            uris = [] if read is None else [version_uri(state.name, read)]
        engine.provide_state(state, uris)


def write_states(engine: Engine, plan: Plan, batch_id: int, live_read: LiveSegments, segment_uri: Callable[[str, int], str], version_uri: Callable[[str, int], str]) -> LiveSegments:
    """Writes the batch's own segments (when they stay live) and whole-state versions; returns the live segments after it."""
    segmented = [s for s in plan.state if s.segments]
    live: LiveSegments = {}
    if segmented:
        bounds = engine.collect_stats(plan.segment_bounds)
        live = next_live_segments(live_read, batch_id, {s.name: (_micros(bounds.get(s.segments.bound)), _micros(bounds.get(s.segments.live_from))) for s in segmented})
    for state in plan.state:
        if not state.segments:
            engine.write_state(state, version_uri(state.name, batch_id))
        elif any(b == batch_id for b, _ in live[state.name]):
            engine.write_state(state, segment_uri(state.name, batch_id))
    return live


def _micros(value: Any) -> Optional[int]:
    """A segment bound from the bounds relation (BIGINT microseconds; NULL -> None)."""
    return None if value is None else int(value)


def _orphans(earlier: Dict[str, List[str]], produced: Dict[str, List[str]]) -> set:
    """Keys an earlier attempt published for a table this plan no longer writes."""
    return {k for name, keys in earlier.items() if name not in produced for k in keys}
