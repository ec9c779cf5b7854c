"""Where a batch's output goes, and how a batch is published so that a replayed batch overwrites (pure).

Spark names the files it writes `part-<n>-<random uuid>...`, so a batch that Spark replays after a failure (same
batch id, same Kinesis offsets: foreachBatch is at-least-once) would add new files next to the old ones. The job
therefore writes each output of batch N to a staging prefix, then *publishes* it: every staged file is copied to
its final partition directory under a name made only of the batch id and its index in that directory
(`part-0000000042-0.parquet`, the contract's `dataFileName`), which a replay of batch N overwrites. A manifest per batch lists the final keys, so a replay that produces a different set
of files (a different partition, fewer files) also deletes what the earlier attempt published and no longer
produces. The order (see plan_publish) keeps this true when the job dies between any two steps.
"""
from __future__ import annotations

import json
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

# Files Spark or Hadoop committers may leave next to the data: never published.
_IGNORED_SUFFIXES = (".crc", "_SUCCESS", "_committed", "_started")


#: Largest batch id a data file name can carry (10 digits), as in the contract's dataFileName.
MAX_BATCH_ID = 9_999_999_999


class Copy(NamedTuple):
    source_key: str
    target_key: str


class PublishPlan(NamedTuple):
    """Copies (staging bucket -> lake bucket), then deletes of earlier attempts' leftovers (lake bucket)."""

    copies: List[Copy]
    deletes: List[str]
    #: the final keys of this batch (the manifest after a complete publish)
    keys: List[str]


def parse_s3_uri(uri: str) -> Tuple[str, str]:
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key


def s3_uri(bucket: str, key: str = "") -> str:
    return f"s3://{bucket}/{key.lstrip('/')}"


def join_key(*parts: str) -> str:
    """Joins key parts with exactly one slash between them; keeps a trailing slash if the last part has one."""
    cleaned = [p.strip("/") for p in parts if p.strip("/")]
    joined = "/".join(cleaned)
    return joined + "/" if parts and parts[-1].endswith("/") else joined


def batch_label(batch_id: int, digits: int = 10) -> str:
    if not 0 <= batch_id <= MAX_BATCH_ID:
        raise ValueError(f"batch id out of range: {batch_id}")
    return str(batch_id).zfill(digits)


def data_file_name(batch_id: int, index: int = 0) -> str:
    """The final name of the index-th file a batch publishes into one partition directory: `part-<id:10>-<n>.parquet`.

    Mirrors packages/core/src/curation/contract.ts `dataFileName` (pinned by tests/fixtures/naming.json).
    """
    if index < 0:
        raise ValueError(f"file index must be >= 0, got {index}")
    return f"part-{batch_label(batch_id)}-{index}.parquet"


def staging_key(staging_prefix: str, batch_id: int, output: str) -> str:
    """The prefix (in the assets bucket) a batch's output is written to before publishing; ends with '/'."""
    return join_key(staging_prefix, f"batch={batch_label(batch_id)}", output) + "/"


def manifest_key(state_prefix: str, batch_id: int) -> str:
    return join_key(state_prefix, "manifests", f"batch={batch_label(batch_id)}.json")


def _partition_dir(relative_dir: str, partition_columns: Sequence[str], output: str) -> str:
    parts = [p for p in relative_dir.split("/") if p]
    names = [p.split("=", 1)[0] for p in parts]
    if names != list(partition_columns) or any("=" not in p for p in parts):
        raise ValueError(
            f"output {output!r}: staged directory {relative_dir!r} does not match the partition columns "
            f"{'/'.join(partition_columns) or '(none)'}"
        )
    return "/".join(parts)


def plan_publish(
    output: str,
    staged_keys: Iterable[str],
    staging_prefix: str,
    target_prefix: str,
    batch_id: int,
    partition_columns: Sequence[str],
    previous_keys: Iterable[str] = (),
) -> PublishPlan:
    """Maps the staged files of one output to their final keys.

    staged_keys: every key listed under staging_prefix (Spark's part files and its marker files). Files are
    grouped by partition directory and sorted, so the same staged set always maps to the same names.
    previous_keys: the final keys an earlier attempt of this batch published (its manifest); those this attempt
    does not produce again are deleted.
    """
    if not staging_prefix.endswith("/") or not target_prefix.endswith("/"):
        raise ValueError("staging_prefix and target_prefix must end with '/'")
    by_dir: Dict[str, List[str]] = {}
    for key in staged_keys:
        if not key.startswith(staging_prefix):
            raise ValueError(f"output {output!r}: staged key {key!r} is outside {staging_prefix!r}")
        relative = key[len(staging_prefix) :]
        directory, _, name = relative.rpartition("/")
        if not name or name.startswith((".", "_")) or name.endswith(_IGNORED_SUFFIXES) or "/_temporary" in "/" + relative:
            continue
        by_dir.setdefault(_partition_dir(directory, partition_columns, output), []).append(key)
    copies: List[Copy] = []
    for directory in sorted(by_dir):
        for index, source in enumerate(sorted(by_dir[directory])):
            target = join_key(target_prefix, directory, data_file_name(batch_id, index))
            copies.append(Copy(source, target))
    keys = [c.target_key for c in copies]
    produced = set(keys)
    deletes = sorted(k for k in set(previous_keys) if k not in produced)
    return PublishPlan(copies, deletes, keys)


def encode_manifest(batch_id: int, keys_by_output: Dict[str, Sequence[str]]) -> bytes:
    body = {"batchId": batch_id, "outputs": {name: sorted(set(keys)) for name, keys in sorted(keys_by_output.items())}}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def decode_manifest(raw: Optional[bytes], batch_id: int) -> Dict[str, List[str]]:
    """The keys per output of an earlier attempt of this batch; empty when there was none."""
    if raw is None:
        return {}
    body = json.loads(raw.decode("utf-8"))
    if body.get("batchId") != batch_id:
        raise ValueError(f"manifest of batch {body.get('batchId')} found where batch {batch_id}'s was expected")
    outputs = body.get("outputs")
    if not isinstance(outputs, dict):
        raise ValueError("manifest has no outputs")
    return {str(name): [str(k) for k in keys] for name, keys in outputs.items()}


def merge_manifests(a: Dict[str, Sequence[str]], b: Dict[str, Sequence[str]]) -> Dict[str, List[str]]:
    """Union per output: written before publishing, so a crash mid-publish still leaves every key accounted for."""
    out: Dict[str, List[str]] = {}
    for source in (a, b):
        for name, keys in source.items():
            out[name] = sorted(set(out.get(name, [])) | set(keys))
    return out
