"""One micro-batch, start to finish, over two small interfaces (pure orchestration, unit-tested with fakes).

`Engine` is what Spark does (register relations, run the compiled statements, write Parquet); `Store` is what S3
does (get, put, list, copy, delete). eventlake_job.py implements both on Spark and boto3. The order of the steps is
what makes a replayed batch (Spark re-runs batch N after a failure, with the same records) leave the lake exactly as
one clean run would:

  1. read the state pointer: the state version this batch reads (a replay reads what the first attempt read)
  2. clear the batch's staging prefix (leftovers of a failed attempt)
  3. register the batch's relations, run the statements
  4. write each table to staging, and the next state to the batch's own state version (overwrite)
  5. publish: manifest := earlier attempt's keys + this attempt's keys; copy staged files to their final names;
     delete the earlier attempt's keys this attempt did not produce; manifest := this attempt's keys
  6. move the state pointer to this batch (the state commit)
  7. clean up: staging, state versions no batch can read any more, manifests of earlier batches
Spark commits the batch's offsets after the function returns. A crash anywhere before that replays the batch; a
crash after step 6 replays it with the pointer already moved, which step 1 handles.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, NamedTuple, Optional

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
    decode_pointer,
    encode_pointer,
    next_pointer,
    parse_version_dir,
    pointer_key,
    stale_versions,
    state_prefix_for,
    state_to_read,
)


class Engine(Protocol):
    def is_empty(self) -> bool: ...
    def provide_batch(self, batch_id: int, processing_time: dt.datetime) -> None: ...
    def provide_state(self, state: State, uri: Optional[str]) -> None: ...
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

    # 2. A clean staging prefix.
    batch_staging = join_key(args.staging_prefix, f"batch={batch_label(batch_id)}") + "/"
    leftovers = store.list(assets, batch_staging)
    if leftovers:
        store.delete(assets, leftovers)

    # 3. Relations and statements.
    engine.provide_batch(batch_id, now)
    for state in plan.state:
        uri = None if read is None else s3_uri(assets, state_prefix_for(args.state_prefix, state.name, read))
        engine.provide_state(state, uri)
    for statement in plan.statements:
        engine.run_statement(statement)

    # 4. Staged tables and the next state.
    for table in plan.tables:
        engine.write_table(table, s3_uri(assets, staging_key(args.staging_prefix, batch_id, table.name)))
    for state in plan.state:
        engine.write_state(state, s3_uri(assets, state_prefix_for(args.state_prefix, state.name, batch_id)))
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
        versions = {v for v in (parse_version_dir(k[len(root) :].split("/", 1)[0]) for k in keys) if v is not None}
        drop = set(stale_versions(versions, new_pointer))
        doomed = [k for k in keys if parse_version_dir(k[len(root) :].split("/", 1)[0]) in drop]
        if doomed:
            store.delete(assets, doomed)
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


def _orphans(earlier: Dict[str, List[str]], produced: Dict[str, List[str]]) -> set:
    """Keys an earlier attempt published for a table this plan no longer writes."""
    return {k for name, keys in earlier.items() if name not in produced for k in keys}
