"""The batch orchestration: a batch killed between any two S3 calls and replayed leaves the lake exactly as a clean
run does; replays read the state the first attempt read; leftovers are cleaned up."""
import datetime as dt
import json
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
    engine = FakeEngine(store, BATCHES[batch_id] if records is None else records, plan=PLAN, **engine_options)
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
        versions = sorted({k.split("/")[5] for k in assets if "/state/watermark/" in k})
        self.assertEqual(versions, ["batch=0000000001", "batch=0000000002"])
        # Segmented state: every batch's segment is live (no expiry here); two live lists are kept.
        segments = sorted({k.split("/")[5] for k in assets if "/state/dedup/" in k})
        self.assertEqual(segments, ["segment=0000000000", "segment=0000000001", "segment=0000000002"])
        lists = sorted(k for k in assets if "/live-segments/" in k)
        self.assertEqual(lists, [ARGS.state_prefix + f"live-segments/batch={b}.json" for b in ("0000000001", "0000000002")])
        manifests = [k for k in assets if "/manifests/" in k]
        self.assertEqual(manifests, [ARGS.state_prefix + "manifests/batch=0000000002.json"])
        # The content of batch 2's files shows what it read: the watermark chain empty -> 0 -> 1, and the dedup
        # segments of batches 0 and 1 (2 and 3 records).
        body = store.get(ARGS.lake_bucket, "curated/events/year=01/month=01/day=01/event_type=alias/part-0000000002-0.parquet")
        self.assertIn(b"watermark=empty+2+3", body)
        self.assertIn(b"dedup=2,3", body)

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


class CountingStore(FakeStore):
    """Records every put and copy target key with its size, per batch run."""

    def __init__(self):
        super().__init__()
        self.writes = []

    def put(self, bucket, key, body):
        super().put(bucket, key, body)
        self.writes.append((key, len(body)))

    def copy(self, copies):
        super().copy(copies)
        self.writes.extend((target_key, len(self.objects[(target_bucket, target_key)])) for _, _, target_bucket, target_key in copies)


def records_for(batch_id, count):
    return [f"e{batch_id}x{i}" for i in range(count)]


class SegmentedState(unittest.TestCase):
    """Dedup and aggregate state: a batch writes its own segment and a small live list, never the window."""

    def state_writes(self, store, batch_id, records, live_batches):
        store.writes = []
        run(store, batch_id, records=records, live_batches=live_batches)
        state_root = ARGS.state_prefix + "state/"
        return {key: size for key, size in store.writes if key.startswith(state_root) or "/live-segments/" in key}

    def test_what_a_batch_writes_for_its_state_follows_its_new_ids_not_the_window(self):
        store = CountingStore()
        window = 30  # segments the live list holds once the window is full
        for batch_id in range(100):
            run(store, batch_id, records=records_for(batch_id, 40), live_batches=window)
        # A full window of state: 30 live segments of 40 ids each.
        live = json.loads(store.get(ARGS.assets_bucket, ARGS.state_prefix + "live-segments/batch=0000000099.json"))
        self.assertEqual([b for b, _ in live["segments"]["dedup"]], list(range(70, 100)))

        segment_bytes = {}
        list_bytes = {}
        for count in (40, 400):
            for batch_id in (100, 101):
                batch = batch_id + (0 if count == 40 else 2)
                writes = self.state_writes(store, batch, records_for(batch, count), window)
                segments = {k: v for k, v in writes.items() if "/segment=" in k}
                # Only the batch's own segments are written: no earlier segment is touched.
                self.assertTrue(all(f"segment={batch:010d}/" in k for k in segments), sorted(segments))
                segment_bytes[(count, batch_id)] = sum(v for k, v in segments.items() if k.endswith(".parquet"))
                list_bytes[(count, batch_id)] = sum(v for k, v in writes.items() if "/live-segments/" in k)
        one_id = len("\n".join(records_for(100, 40))) / 40
        for (count, _), size in segment_bytes.items():
            # dedup + aggregates segments: in proportion to the batch's new ids (within a byte per id for the names).
            self.assertAlmostEqual(size / count, 2 * one_id, delta=2.5)
        self.assertGreater(segment_bytes[(400, 100)], 9 * segment_bytes[(40, 100)])
        # The live list names segments, not ids: ten times the ids, the same size (give or take the digits of the ids).
        self.assertLess(abs(list_bytes[(400, 100)] - list_bytes[(40, 100)]), 20)
        self.assertLess(list_bytes[(400, 100)], 2 * 40 * window)

    def test_segments_expire_whole_and_a_replay_reads_what_the_first_attempt_read(self):
        store = FakeStore()
        for batch_id in range(6):
            run(store, batch_id, records=records_for(batch_id, batch_id + 1), live_batches=3)
        def on_store():
            root = ARGS.state_prefix + "state/dedup/"
            return sorted({int(k[len(root):].split("/")[0].split("=")[1]) for k in store.list(ARGS.assets_bucket, root)})
        # Live after batch 5: 3, 4, 5; kept: also what batch 5 read (2, 3, 4), for a replay of it.
        self.assertEqual(on_store(), [2, 3, 4, 5])
        _, replay = run(store, 5, records=records_for(5, 6), live_batches=3)
        self.assertEqual(replay.state_values["dedup"], "3,4,5")  # segments 2, 3, 4 hold 3, 4, 5 ids
        self.assertTrue(all("segment=0000000005" not in uri for uri in replay.state_reads["dedup"]))
        _, after = run(store, 6, records=records_for(6, 7), live_batches=3)
        self.assertEqual(after.state_values["dedup"], "4,5,6")
        self.assertEqual(on_store(), [3, 4, 5, 6])

    def test_a_crash_anywhere_with_expiring_segments_then_a_replay_equals_a_clean_run(self):
        plan = {b: records_for(b, b + 2) for b in range(5)}
        clean = FakeStore()
        for b, records in plan.items():
            run(clean, b, records=records, live_batches=2)
        expected_lake = clean.under(ARGS.lake_bucket)
        probe = FakeStore()
        for b in range(3):
            run(probe, b, records=plan[b], live_batches=2)
        before = probe.mutations
        run(probe, 3, records=plan[3], live_batches=2)
        for crash_at in range(1, probe.mutations - before + 1):
            with self.subTest(crash_at=crash_at):
                store = FakeStore()
                for b in range(3):
                    run(store, b, records=plan[b], live_batches=2)
                store.fail_at = store.mutations + crash_at
                with self.assertRaises(Crash):
                    run(store, 3, records=plan[3], live_batches=2)
                run(store, 3, records=plan[3], live_batches=2)
                run(store, 4, records=plan[4], live_batches=2)
                self.assertEqual(store.under(ARGS.lake_bucket), expected_lake)
                # The same live segments, pointer and segment directories as the clean run (file names differ per attempt).
                for prefix in ("live-segments/", "pointer.json"):
                    self.assertEqual(store.under(ARGS.assets_bucket, ARGS.state_prefix + prefix), clean.under(ARGS.assets_bucket, ARGS.state_prefix + prefix))
                dirs = lambda st: sorted({k.rsplit("/", 1)[0] for k in st.under(ARGS.assets_bucket, ARGS.state_prefix + "state/")})
                self.assertEqual(dirs(store), dirs(clean))


if __name__ == "__main__":
    unittest.main()
