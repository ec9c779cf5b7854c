"""The curation plan built from the real contract (fixtures/curation-plan.json) loads and checks out; broken plans
are refused with every problem listed."""
import copy
import json
import os
import unittest

from _path import FIXTURES
from runner.plan import PlanError, Statement, check_order, ddl_schema, empty_state_sql, parse_plan, referenced


def _raw():
    with open(os.path.join(FIXTURES, "curation-plan.json"), "rb") as f:
        return f.read()


def _mutated(change):
    body = json.loads(_raw())
    change(body)
    return json.dumps(body).encode("utf-8")


class RealPlan(unittest.TestCase):
    def test_loads_with_everything_the_runner_needs(self):
        plan = parse_plan(_raw())
        self.assertEqual(plan.records.name, "raw_records")
        self.assertEqual([c.name for c in plan.records.columns], ["data", "data_base64", "arrival_time"])
        self.assertEqual([c.name for c in plan.batch.columns], ["batch_id", "processing_time"])
        self.assertEqual([t.name for t in plan.tables], ["events", "quarantine", "aggregates"])
        events = plan.tables[0]
        self.assertEqual(events.prefix, "curated/events/")
        self.assertEqual(events.partition_columns, ["year", "month", "day", "event_type"])
        self.assertIn("processing_time", events.columns)
        self.assertIn("batch_id", events.columns)
        self.assertEqual(plan.settings["spark.sql.parquet.outputTimestampType"], "TIMESTAMP_MICROS")
        self.assertEqual(plan.settings["spark.sql.session.timeZone"], "UTC")
        self.assertEqual({s.initial for s in plan.state}, {"empty", "null-row"})
        self.assertTrue(any(s.materialize for s in plan.statements))
        self.assertIn("EventsQuarantined", [m.metric for m in plan.metrics])
        self.assertEqual(plan.stats_dimensions, {"service": "curation"})
        self.assertEqual(len(plan.cleanup), len(plan.statements))

    def test_statements_only_read_relations_defined_before_them(self):
        plan = parse_plan(_raw())
        self.assertEqual(check_order(plan.statements, plan.provided()), [])
        # The check can fail: move the first statement to the end.
        reordered = plan.statements[1:] + plan.statements[:1]
        problems = check_order(reordered, plan.provided())
        self.assertTrue(any("reads 'parsed' before it is created" in p for p in problems), problems)


class BrokenPlans(unittest.TestCase):
    def assertRefused(self, raw, *fragments):
        with self.assertRaises(PlanError) as raised:
            parse_plan(raw)
        for fragment in fragments:
            self.assertIn(fragment, str(raised.exception))

    def test_other_format_or_version(self):
        self.assertRefused(_mutated(lambda b: b.update(version=1)), "unsupported plan")
        self.assertRefused(b"not json", "not JSON")

    def test_missing_outputs_and_duplicates(self):
        def change(body):
            body["tables"][0]["relation"] = "nowhere"
            body["state"][0]["output"] = "nothing"
            body["statements"].append(copy.deepcopy(body["statements"][0]))
            body["stats"]["relation"] = "no_stats"

        self.assertRefused(
            _mutated(change),
            "table 'events' reads 'nowhere'",
            "state 'dedup' keeps 'nothing'",
            "relations defined twice: parsed",
            "stats relation 'no_stats'",
        )

    def test_bad_prefix_and_write_order(self):
        def change(body):
            body["tables"][1]["prefix"] = "/quarantine"
            body["tables"][2]["writeOrder"] = ["no_such_column"]

        self.assertRefused(_mutated(change), "prefix must be relative", "write order names unknown columns")


class Helpers(unittest.TestCase):
    def test_referenced_ignores_string_literals_and_substrings(self):
        sql = "SELECT 'parsed' AS x, typed_value FROM typed t JOIN dedup_state s ON s.k = t.k WHERE y = 'it\\'s typed'"
        self.assertEqual(referenced(sql, {"parsed", "typed", "dedup_state"}), {"typed", "dedup_state"})

    def test_order_allows_provided_relations(self):
        statements = [Statement("a", "CREATE ... AS SELECT * FROM raw_records", "SELECT * FROM raw_records", False)]
        self.assertEqual(check_order(statements, ["raw_records"]), [])
        self.assertEqual(check_order(statements, []), [])  # raw_records is not a known name at all

    def test_initial_state_and_schemas(self):
        plan = parse_plan(_raw())
        by_name = {s.name: s for s in plan.state}
        self.assertEqual(
            empty_state_sql(by_name["watermark"]),
            "SELECT CAST(NULL AS TIMESTAMP) AS event_watermark, CAST(NULL AS TIMESTAMP) AS max_received_at",
        )
        self.assertTrue(empty_state_sql(by_name["dedup"]).endswith(" WHERE false"))
        self.assertEqual(ddl_schema(by_name["dedup"].columns), "message_id STRING, received_at TIMESTAMP, batch_id BIGINT")

    def test_dedup_and_aggregates_are_segmented_the_watermark_is_whole(self):
        plan = parse_plan(_raw())
        by_name = {s.name: s for s in plan.state}
        self.assertEqual(by_name["dedup"].segments, ("dedup_segment_bound", "dedup_live_from"))
        self.assertEqual(by_name["aggregates"].segments, ("aggregate_segment_bound", "aggregate_live_from"))
        self.assertIsNone(by_name["watermark"].segments)
        self.assertEqual(plan.segment_bounds, "segment_bounds")

    def test_segmented_state_needs_its_bounds(self):
        with self.assertRaises(PlanError) as raised:
            parse_plan(_mutated(lambda b: b.update(segmentBounds="nowhere")))
        self.assertIn("segment bounds relation 'nowhere'", str(raised.exception))
        with self.assertRaises(PlanError) as raised:
            parse_plan(_mutated(lambda b: b["state"][0].update(segments={"bound": "x"})))
        self.assertIn("segments needs the bound and liveFrom", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
