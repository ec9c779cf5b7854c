"""The batch orchestration: a batch killed between any two S3 calls and replayed leaves the lake exactly as a clean
run does; replays read the state the first attempt read; leftovers are cleaned up."""
import datetime as dt
import os
import unittest

from _path import FIXTURES
from fakes import Crash, FakeEngine, FakeStore
from runner.args import parse_job_args
from runner.batch import process_batch
from runner.plan import parse_plan
from runner.state import StateError
from test_args import BASE

ARGS = parse_job_args(BASE)
with open(os.path.join(FIXTURES, "curation-plan.json"), "rb") as _f:
    PLAN = parse_plan(_f.read())
NOW = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
BATCHES = {0: ["track", "page"], 1: ["page", "identify", "page"], 2: ["alias"]}


def run(store, batch_id, records=None, **engine_options):
    engine = FakeEngine(store, BATCHES[batch_id] if records is None else records, **engine_options)
    return process_batch(ARGS, PLAN, batch_id, engine, store, NOW), engine


def clean_run():
    store = FakeStore()
    for batch_id in BATCHES:
        run(store, batch_id)
    return store


class CleanRun(unittest.TestCase):
    def test_publishes_every_table_under_batch_names_and_cleans_up(self):
        store = FakeStore()
        result, engine = run(store, 0)
        self.assertFalse(result.skipped)
        self.assertEqual(engine.ran, [s.name for s in PLAN.statements])
        self.assertTrue(engine.cleaned)
        lake = store.under(ARGS.lake_bucket)
        self.assertIn("curated/events/year=01/month=01/day=01/event_type=page/part-0000000000-0.parquet", lake)
        self.assertIn("quarantine/year=01/month=01/day=page/part-0000000000-0.parquet", lake)
        self.assertIn("aggregates/year=01/month=01/day=track/part-0000000000-0.parquet", lake)
        self.assertEqual(result.files, {"events": 2, "quarantine": 2, "aggregates": 2})
        self.assertEqual(store.under(ARGS.assets_bucket, ARGS.staging_prefix), {})

    def test_each_batch_reads_the_previous_state_and_only_two_versions_are_kept(self):
        store = clean_run()
        assets = store.under(ARGS.assets_bucket, ARGS.state_prefix)
        self.assertEqual(assets[ARGS.state_prefix + "pointer.json"], b'{"batchId":2,"previous":1}')
        versions = sorted({k.split("/")[5] for k in assets if "/state/dedup/" in k})
        self.assertEqual(versions, ["batch=0000000001", "batch=0000000002"])
        manifests = [k for k in assets if "/manifests/" in k]
        self.assertEqual(manifests, [ARGS.state_prefix + "manifests/batch=0000000002.json"])
        # The content of batch 2's files shows the state chain empty -> 0 -> 1 -> 2.
        body = store.get(ARGS.lake_bucket, "curated/events/year=01/month=01/day=01/event_type=alias/part-0000000002-0.parquet")
        self.assertIn(b"dedup=empty+2+3", body)

    def test_an_empty_batch_writes_nothing(self):
        store = FakeStore()
        result, _ = run(store, 0, records=[])
        self.assertTrue(result.skipped)
        self.assertEqual(store.objects, {})


class Replays(unittest.TestCase):
    def test_a_crash_between_any_two_calls_then_a_replay_equals_a_clean_run(self):
        expected = clean_run().under(ARGS.lake_bucket)
        probe = FakeStore()
        run(probe, 0)
        before = probe.mutations
        run(probe, 1)
        calls = probe.mutations - before
        self.assertGreater(calls, 20)
        for crash_at in range(1, calls + 1):
            with self.subTest(crash_at=crash_at):
                store = FakeStore()
                run(store, 0)
                store.fail_at = store.mutations + crash_at
                with self.assertRaises(Crash):
                    run(store, 1)
                run(store, 1)  # Spark replays batch 1 (new attempt: new Spark file names)
                run(store, 2)
                self.assertEqual(store.under(ARGS.lake_bucket), expected)
                self.assertEqual(store.under(ARGS.assets_bucket, ARGS.staging_prefix), {})

    def test_a_crashed_attempt_that_published_other_partitions_leaves_nothing_behind(self):
        # The first attempt produces an extra partition (say, from the processing time) and dies at any point;
        # the replay does not produce it: none of the first attempt's files may survive.
        expected = clean_run().under(ARGS.lake_bucket)
        probe = FakeStore()
        run(probe, 0)
        before = probe.mutations
        run(probe, 1, spill_partition="late-night")
        for crash_at in range(1, probe.mutations - before + 1):
            with self.subTest(crash_at=crash_at):
                store = FakeStore()
                run(store, 0)
                store.fail_at = store.mutations + crash_at
                with self.assertRaises(Crash):
                    run(store, 1, spill_partition="late-night")
                run(store, 1)
                run(store, 2)
                self.assertEqual(store.under(ARGS.lake_bucket), expected)

    def test_a_replay_after_the_state_commit_reads_the_same_state(self):
        expected = clean_run().under(ARGS.lake_bucket)
        store = FakeStore()
        run(store, 0)
        first, _ = run(store, 1)
        again, _ = run(store, 1)  # the function returned but Spark died before committing the offsets
        self.assertEqual((first.state_read, again.state_read), (0, 0))
        run(store, 2)
        self.assertEqual(store.under(ARGS.lake_bucket), expected)

    def test_a_replay_deletes_files_the_first_attempt_published_and_the_replay_does_not_produce(self):
        store = FakeStore()
        run(store, 0)
        run(store, 1, spill_partition="late-night")  # e.g. a partition from the processing time
        spilled = [k for k in store.under(ARGS.lake_bucket) if "late-night" in k]
        self.assertEqual(len(spilled), 3)
        result, _ = run(store, 1)
        self.assertEqual(result.replaced, 3)
        self.assertEqual([k for k in store.under(ARGS.lake_bucket) if "late-night" in k], [])

    def test_a_reset_checkpoint_stops_the_job(self):
        store = clean_run()
        with self.assertRaises(StateError):
            run(store, 0)


if __name__ == "__main__":
    unittest.main()
