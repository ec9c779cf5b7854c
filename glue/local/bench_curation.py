"""The curation bench on the Glue job's engine (npm run bench, bench/curation.ts): the same stream records as the
DuckDB engine's bench, through the job's SparkEngine in local Spark: records -> compiled statements -> the three
tables written as partitioned Parquet (the job's write_table) and the next state (write_state), from empty state.

Input: argv[1], one base64 record per line; argv[2]: runs. Prints one JSON line: the median run's wall time split into
loading the records (Python de-aggregation and decoding, as the job's UDF does, into a persisted DataFrame) and the
rest, and the batch stats.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List

GLUE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if GLUE_DIR not in sys.path:
    sys.path.insert(0, GLUE_DIR)

from eventlake_job import SparkEngine  # noqa: E402
from runner.batch import provide_states, write_states  # noqa: E402
from runner.plan import Plan, ddl_schema, parse_plan  # noqa: E402
from runner.records import input_rows  # noqa: E402

from local.session import local_session  # noqa: E402

#: The bench's batch is far larger than a local pipeline's (200,000 records of ~825 B: 165 MB of text, against about
#: 20,000 records per 10 s window at 2,000 events/s), and local mode runs the executor inside the driver's JVM, which
#: then holds it several times: the rows createDataFrame ships from Python (kept by the persisted DataFrame's lineage),
#: the persisted records and the persisted classified relation. With the session's 1g the JVM died of
#: OutOfMemoryError ("Java heap space", building an in-memory column batch while writing the events table) and py4j
#: reported "Answer from Java side is empty"; 3g runs it (a Glue G.1X worker's executor has about 10 GB).
DRIVER_MEMORY = "3g"


def run_once(spark: Any, plan: Plan, records: List[bytes], out: str) -> Dict[str, Any]:
    arrival = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    rows = [(r.data, r.data_base64, arrival) for data in records for r in input_rows(data, "bench")]
    frame = spark.createDataFrame(rows, ddl_schema(plan.records.columns))
    engine = SparkEngine(spark, frame, plan)
    engine.records.count()  # materialize the persisted records
    t1 = time.perf_counter()
    engine.provide_batch(0, arrival)

    def state_path(name: str, b: int) -> str:
        return os.path.join(out, "state", name, str(b))

    provide_states(engine, plan, None, {}, state_path, state_path)
    for statement in plan.statements:
        engine.run_statement(statement)
    for table in plan.tables:
        engine.write_table(table, os.path.join(out, table.name))
    write_states(engine, plan, 0, {}, state_path, state_path)
    stats = engine.collect_stats(plan.stats_relation)
    t2 = time.perf_counter()
    engine.cleanup(plan.cleanup)
    return {"wallMs": (t2 - t0) * 1000, "loadMs": (t1 - t0) * 1000, "stats": {k: v for k, v in stats.items() if isinstance(v, int)}}


def main(argv: List[str]) -> None:
    with open(argv[1], "r", encoding="ascii") as f:
        records = [base64.b64decode(line) for line in f.read().splitlines() if line]
    runs = int(argv[2])
    with open(argv[3], "rb") as f:
        plan = parse_plan(f.read())
    spark = local_session("eventlake-bench-curation", {"spark.driver.memory": os.environ.get("EVENTLAKE_BENCH_SPARK_MEMORY", DRIVER_MEMORY)})
    for name, value in plan.settings.items():
        spark.conf.set(name, value)
    version = spark.version
    work = tempfile.mkdtemp(prefix="eventlake-bench-spark-")
    try:
        run_once(spark, plan, records[:2000], os.path.join(work, "warm"))  # JVM warm-up, not measured
        results = [run_once(spark, plan, records, os.path.join(work, f"run-{i}")) for i in range(runs)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        spark.stop()
    median = sorted(results, key=lambda r: r["wallMs"])[len(results) // 2]
    print(json.dumps({"sparkVersion": version, "runs": runs, "wallMsAll": [r["wallMs"] for r in results], **median, "medianWallMs": statistics.median(r["wallMs"] for r in results)}))


if __name__ == "__main__":
    main(sys.argv)
