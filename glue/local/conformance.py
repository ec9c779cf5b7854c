"""The curation conformance fixtures on real Spark: every fixture's batches run through the Glue job's own engine
(eventlake_job.SparkEngine) in one local SparkSession, with the state of each batch written as Parquet and read
back by the next, exactly as the job does between micro-batches.

Input (JSON file, argv[1]), built by test/conformance/spark.test.ts:
  {"plan": <the Glue job plan>, "fixtures": [{"name", "batches": [{"batchId", "processingTime",
    "records": [{"base64", "arrivalTime"}]}]}]}
Output (JSON file, argv[2]): per fixture and batch, for each table of the plan the Spark schema of its columns and
its rows (timestamps as ISO-8601 UTC with 6 fractional digits, everything else as JSON values), and the batch stats.

Records go through runner.records.input_rows, as the job's stream records do (KPL de-aggregation, strict UTF-8).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from typing import Any, Dict, List

GLUE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if GLUE_DIR not in sys.path:
    sys.path.insert(0, GLUE_DIR)

from eventlake_job import SparkEngine  # noqa: E402
from runner.batch import provide_states, write_states  # noqa: E402
from runner.plan import Plan, ddl_schema, parse_plan  # noqa: E402
from runner.state import LiveSegments  # noqa: E402
from runner.records import input_rows  # noqa: E402

from local.session import local_session  # noqa: E402

ISO_MICROS = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def records_frame(spark: Any, plan: Plan, records: List[Dict[str, str]]) -> Any:
    rows = []
    for r in records:
        arrival = parse_time(r["arrivalTime"])
        for row in input_rows(base64.b64decode(r["base64"]), "fixture"):
            rows.append((row.data, row.data_base64, arrival))
    return spark.createDataFrame(rows, ddl_schema(plan.records.columns))


def read_table(spark: Any, relation: str, columns: List[str]) -> Dict[str, Any]:
    frame = spark.table(relation).select(*columns)
    schema = [(f.name, f.dataType.simpleString()) for f in frame.schema.fields]
    timestamps = {name for name, t in schema if t == "timestamp"}
    # Timestamps formatted by Spark itself (session time zone UTC, from the plan), so no Python conversion can shift them.
    exprs = [f"date_format(`{c}`, \"{ISO_MICROS}\") AS `{c}`" if c in timestamps else f"`{c}`" for c in columns]
    rows = [row.asDict() for row in spark.table(relation).selectExpr(*exprs).collect()]
    return {"schema": schema, "rows": rows}


def run(spec: Dict[str, Any]) -> Dict[str, Any]:
    plan = parse_plan(json.dumps(spec["plan"]).encode("utf-8"))
    spark = local_session("eventlake-conformance")
    for name, value in plan.settings.items():
        spark.conf.set(name, value)
    out: Dict[str, Any] = {"sparkVersion": spark.version, "fixtures": []}
    work = tempfile.mkdtemp(prefix="eventlake-spark-conformance-")
    try:
        for fixture in spec["fixtures"]:
            results = []
            previous = None
            live: LiveSegments = {}
            root = os.path.join(work, fixture["name"])

            def segment_path(name: str, b: int) -> str:
                return os.path.join(root, "segments", name, str(b))

            def version_path(name: str, b: int) -> str:
                return os.path.join(root, "versions", name, str(b))

            for batch in fixture["batches"]:
                batch_id = int(batch["batchId"])
                engine = SparkEngine(spark, records_frame(spark, plan, batch["records"]), plan)
                engine.provide_batch(batch_id, parse_time(batch["processingTime"]))
                # The job's own state protocol (runner/batch.py): live segments plus whole-state versions.
                provide_states(engine, plan, previous, live, segment_path, version_path)
                for statement in plan.statements:
                    engine.run_statement(statement)
                tables = {t.name: read_table(spark, t.relation, t.columns + t.partition_columns) for t in plan.tables}
                live = write_states(engine, plan, batch_id, live, segment_path, version_path)
                stats = engine.collect_stats(plan.stats_relation) if plan.stats_relation else {}
                engine.cleanup(plan.cleanup)
                previous = batch_id
                results.append({"batchId": batch_id, "tables": tables, "stats": stats})
            out["fixtures"].append({"name": fixture["name"], "batches": results})
    finally:
        shutil.rmtree(work, ignore_errors=True)
        spark.stop()
    return out


def main(argv: List[str]) -> None:
    with open(argv[1], "r", encoding="utf-8") as f:
        spec = json.load(f)
    result = run(spec)
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f, default=str)


if __name__ == "__main__":
    main(sys.argv)
