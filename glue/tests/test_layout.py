"""Batch file naming, S3 paths and the overwrite-per-batch publish plan."""
import json
import os
import unittest

from _path import FIXTURES
from runner.layout import (
    data_file_name,
    decode_manifest,
    encode_manifest,
    join_key,
    manifest_key,
    merge_manifests,
    parse_s3_uri,
    plan_publish,
    s3_uri,
    staging_key,
)

PARTS = ["year", "month", "day", "event_type"]
STAGE = "glue/temp/staging/batch=0000000042/events/"
TARGET = "curated/events/"


def staged(*dirs_and_files):
    return [STAGE + p for p in dirs_and_files]


class Naming(unittest.TestCase):
    def test_data_file_names_match_the_contract(self):
        # fixtures/naming.json is written from packages/core/src/curation/contract.ts dataFileName.
        with open(os.path.join(FIXTURES, "naming.json"), encoding="utf-8") as f:
            cases = json.load(f)["dataFileName"]
        self.assertGreaterEqual(len(cases), 4)
        for case in cases:
            self.assertEqual(data_file_name(case["batchId"], case["n"]), case["name"])
        self.assertLess(data_file_name(9), data_file_name(10))
        for bad in ((-1, 0), (10_000_000_000, 0), (1, -1)):
            with self.assertRaises(ValueError):
                data_file_name(*bad)

    def test_keys_and_uris(self):
        self.assertEqual(join_key("a/", "/b/", "c/"), "a/b/c/")
        self.assertEqual(join_key("a", "", "b.json"), "a/b.json")
        self.assertEqual(staging_key("glue/temp/staging/", 42, "events"), STAGE)
        self.assertEqual(manifest_key("glue/state/x/", 3), "glue/state/x/manifests/batch=0000000003.json")
        self.assertEqual(parse_s3_uri("s3://b/k/x.parquet"), ("b", "k/x.parquet"))
        self.assertEqual(s3_uri("b", "/k/"), "s3://b/k/")
        with self.assertRaises(ValueError):
            parse_s3_uri("https://b/k")


class PublishPlan(unittest.TestCase):
    def test_maps_each_partition_file_to_a_batch_name_and_skips_markers(self):
        plan = plan_publish(
            "events",
            staged(
                "_SUCCESS",
                "year=2024/month=12/day=31/event_type=page/part-00001-abc.c000.zstd.parquet",
                "year=2024/month=12/day=31/event_type=page/.part-00001-abc.c000.zstd.parquet.crc",
                "year=2025/month=01/day=01/event_type=signed up/part-00000-def.c000.zstd.parquet",
                "year=2025/month=01/day=01/event_type=signed up/part-00003-aaa.c000.zstd.parquet",
            ),
            STAGE,
            TARGET,
            42,
            PARTS,
        )
        self.assertEqual(
            [(c.source_key[len(STAGE):], c.target_key) for c in plan.copies],
            [
                ("year=2024/month=12/day=31/event_type=page/part-00001-abc.c000.zstd.parquet",
                 "curated/events/year=2024/month=12/day=31/event_type=page/part-0000000042-0.parquet"),
                ("year=2025/month=01/day=01/event_type=signed up/part-00000-def.c000.zstd.parquet",
                 "curated/events/year=2025/month=01/day=01/event_type=signed up/part-0000000042-0.parquet"),
                ("year=2025/month=01/day=01/event_type=signed up/part-00003-aaa.c000.zstd.parquet",
                 "curated/events/year=2025/month=01/day=01/event_type=signed up/part-0000000042-1.parquet"),
            ],
        )
        self.assertEqual(plan.deletes, [])
        self.assertEqual(plan.keys, [c.target_key for c in plan.copies])

    def test_a_replay_overwrites_the_same_keys_whatever_spark_named_the_files(self):
        first = plan_publish("events", staged("year=2024/month=01/day=02/event_type=page/part-0-uuid1.parquet"), STAGE, TARGET, 42, PARTS)
        replay = plan_publish("events", staged("year=2024/month=01/day=02/event_type=page/part-0-uuid2.parquet"), STAGE, TARGET, 42, PARTS, first.keys)
        self.assertEqual(first.keys, replay.keys)
        self.assertEqual(replay.deletes, [])

    def test_a_replay_deletes_what_the_earlier_attempt_published_and_no_longer_produces(self):
        earlier = [
            "curated/events/year=2024/month=01/day=02/event_type=page/part-0000000042-0.parquet",
            "curated/events/year=2024/month=01/day=02/event_type=page/part-0000000042-1.parquet",
            "curated/events/year=2024/month=01/day=03/event_type=page/part-0000000042-0.parquet",
        ]
        replay = plan_publish("events", staged("year=2024/month=01/day=02/event_type=page/part-0.parquet"), STAGE, TARGET, 42, PARTS, earlier)
        self.assertEqual(replay.deletes, earlier[1:])

    def test_unpartitioned_outputs_and_empty_batches(self):
        plan = plan_publish("x", ["s/part-1.parquet", "s/_SUCCESS"], "s/", "aggregates/x/", 5, [])
        self.assertEqual(plan.keys, ["aggregates/x/part-0000000005-0.parquet"])
        self.assertEqual(plan_publish("x", ["s/_SUCCESS"], "s/", "t/", 5, []).copies, [])

    def test_refuses_a_layout_that_does_not_match_the_partition_columns(self):
        with self.assertRaises(ValueError) as raised:
            plan_publish("events", staged("month=01/year=2024/day=02/event_type=page/part-0.parquet"), STAGE, TARGET, 1, PARTS)
        self.assertIn("does not match the partition columns", str(raised.exception))
        with self.assertRaises(ValueError):
            plan_publish("events", ["elsewhere/part-0.parquet"], STAGE, TARGET, 1, PARTS)
        with self.assertRaises(ValueError):
            plan_publish("events", [], "no-slash", TARGET, 1, PARTS)


class Manifests(unittest.TestCase):
    def test_round_trip_and_batch_check(self):
        raw = encode_manifest(42, {"events": ["b", "a", "a"], "quarantine": []})
        self.assertEqual(decode_manifest(raw, 42), {"events": ["a", "b"], "quarantine": []})
        self.assertEqual(decode_manifest(None, 42), {})
        with self.assertRaises(ValueError):
            decode_manifest(raw, 43)

    def test_merge_is_a_union_per_output(self):
        self.assertEqual(merge_manifests({"e": ["a", "b"]}, {"e": ["c"], "q": ["d"]}), {"e": ["a", "b", "c"], "q": ["d"]})


if __name__ == "__main__":
    unittest.main()
