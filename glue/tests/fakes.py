"""In-memory stand-ins for S3 and Spark, for testing the batch orchestration (runner/batch.py) without either.

FakeStore can crash at its n-th mutating call (put, copy, delete), like a job killed between two S3 requests.
FakeEngine writes files the way Spark does: random names per attempt, `_SUCCESS` markers, overwrite of the target
prefix; what it writes depends on the batch's records AND the state it read, so a replay that read another state
version would publish different content. A segmented state's segment holds one line per record of the batch (as the
compiled dedup_segment holds one row per curated messageId); its bound is the batch id, and with `live_batches` set
the live-from keeps the segments of the last `live_batches` batches (a window of that many batches).
"""
import datetime as dt
import itertools
from typing import Dict, List, Optional, Tuple

from _path import GLUE_DIR  # noqa: F401  (sys.path)
from runner.layout import parse_s3_uri


class Crash(Exception):
    """The job died here."""


class FakeStore:
    def __init__(self):
        self.objects: Dict[Tuple[str, str], bytes] = {}
        self.mutations = 0
        self.fail_at: Optional[int] = None

    def _mutate(self):
        self.mutations += 1
        if self.fail_at is not None and self.mutations >= self.fail_at:
            self.fail_at = None
            raise Crash(f"killed at mutation {self.mutations}")

    def get(self, bucket, key):
        return self.objects.get((bucket, key))

    def put(self, bucket, key, body):
        self._mutate()
        self.objects[(bucket, key)] = bytes(body)

    def list(self, bucket, prefix):
        return sorted(k for (b, k) in self.objects if b == bucket and k.startswith(prefix))

    def copy(self, copies):
        for source_bucket, source_key, target_bucket, target_key in copies:
            self._mutate()
            self.objects[(target_bucket, target_key)] = self.objects[(source_bucket, source_key)]

    def delete(self, bucket, keys):
        self._mutate()
        for key in keys:
            self.objects.pop((bucket, key), None)

    def under(self, bucket, prefix=""):
        return {k: v for (b, k), v in self.objects.items() if b == bucket and k.startswith(prefix)}


_attempts = itertools.count()


class FakeEngine:
    """records: the batch's record values (strings). Each table gets one file per distinct record value's
    partition; spill_partition adds a partition that only this attempt produces (like a processing-time partition)."""

    def __init__(self, store: FakeStore, records: List[str], spill_partition: Optional[str] = None, live_batches: Optional[int] = None, plan=None):
        self.store = store
        self.records = records
        self.attempt = next(_attempts)
        self.spill_partition = spill_partition
        self.live_batches = live_batches
        self.plan = plan
        #: every state path read, per state name
        self.state_reads: Dict[str, List[str]] = {}
        self.state_values: Dict[str, str] = {}
        self.ran: List[str] = []
        self.cleaned = False

    def is_empty(self):
        return not self.records

    def provide_batch(self, batch_id, processing_time):
        assert isinstance(processing_time, dt.datetime)
        self.batch_id = batch_id

    def provide_state(self, state, uris):
        self.state_reads[state.name] = list(uris)
        if not uris:
            self.state_values[state.name] = "empty"
            return
        contents = []
        for uri in uris:
            bucket, prefix = parse_s3_uri(uri)
            files = [k for k in self.store.list(bucket, prefix) if k.endswith(".parquet")]
            if not files:
                raise FileNotFoundError(f"Path does not exist: {uri}")  # what Spark says
            contents.append(self.store.get(bucket, files[0]).decode())
        # segmented: the segments' record counts in order; whole: the version's content
        self.state_values[state.name] = ",".join(str(len(c.split("\n"))) for c in contents) if state.segments else contents[0]

    def run_statement(self, statement):
        self.ran.append(statement.name)

    def _overwrite(self, uri, files: Dict[str, str]):
        bucket, prefix = parse_s3_uri(uri)
        existing = self.store.list(bucket, prefix)
        if existing:
            self.store.delete(bucket, existing)
        for relative, body in files.items():
            self.store.put(bucket, prefix + relative, body.encode())
        self.store.put(bucket, prefix + "_SUCCESS", b"")

    def write_table(self, table, uri):
        state = "|".join(f"{k}={v}" for k, v in sorted(self.state_values.items()))
        values = sorted(set(self.records)) + ([self.spill_partition] if self.spill_partition else [])
        files = {}
        for value in values:
            directory = "/".join(f"{c}={value if c == table.partition_columns[-1] else '01'}" for c in table.partition_columns)
            name = f"part-{self.attempt:05d}-{value}-uuid{self.attempt}.c000.zstd.parquet"
            files[f"{directory}/{name}" if directory else name] = f"{table.name}:{value}:{self.records.count(value)}:{state}"
        self._overwrite(uri, files)

    def write_state(self, state, uri):
        if state.segments:
            body = "\n".join(self.records)
        else:
            body = f"{self.state_values.get(state.name, 'empty')}+{len(self.records)}"
        self._overwrite(uri, {f"part-00000-uuid{self.attempt}.parquet": body})

    def collect_stats(self, relation):
        if self.plan is not None and relation == self.plan.segment_bounds:
            live_from = None if self.live_batches is None else self.batch_id - self.live_batches + 1
            row = {}
            for s in self.plan.state:
                if s.segments:
                    row[s.segments.bound] = self.batch_id if self.records else None
                    row[s.segments.live_from] = live_from
            return row
        return {"records": len(self.records), "curated": len(set(self.records)), "quarantined": 0, "event_watermark": None}

    def cleanup(self, statements):
        self.cleaned = True
