"""eventlake curation: the Glue streaming job (Glue 4.0: Spark 3.3, Python 3.10).

A small generic runner. It reads the Kinesis stream, and for every micro-batch (GlueContext.forEachBatch, S3
checkpoint, window from the job arguments) it de-aggregates the KPL records, registers the batch and the state as
temp views, runs the compiled Spark SQL statements of the curation plan (built from the TypeScript contract by
packages/core/src/glue/job-plan.ts and uploaded next to this script), writes curated Parquet, quarantine rows and
aggregates under deterministic per-batch file names, and keeps the state (dedup keys, open windows, watermark) for
the next batch. No curation logic is written here: what makes an event valid, how it is normalized, deduplicated
or aggregated is all in the statements.

The pure parts are in runner/ (shipped with --extra-py-files) and unit-tested without Spark:
`python3 -m unittest discover -s glue/tests`. This file only binds them to Spark, Glue and boto3, and imports
those lazily so the tests can import it.
"""
from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

from runner.args import JobArgs, parse_job_args
from runner.batch import process_batch
from runner.metrics import chunks, metric_data, summary_line
from runner.plan import Plan, State, Statement, Table, ddl_schema, empty_state_sql, parse_plan
from runner.records import input_rows
from runner.source import kinesis_options, source_columns

LOG = logging.getLogger("eventlake.curation")
#: Parallel S3 copies when publishing a batch (one per partition file).
COPY_THREADS = 16


class MissingKeyAccessDenied(RuntimeError):
    """S3 refused a read of a key that may be missing: the role lacks s3:ListBucket on the bucket, so S3 answers 403
    where it would answer 404 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Never read as
    "missing": the job would start over from an empty state."""


def _error_code(err: Exception) -> "tuple[str, int]":
    """The S3 error code and HTTP status of a botocore ClientError (duck-typed: no botocore import needed)."""
    response = getattr(err, "response", None) or {}
    code = str((response.get("Error") or {}).get("Code", ""))
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode", 0) or 0)
    return code, status


class S3Store:
    """runner.batch.Store on boto3. Its calls are listed in runner/aws_calls.json (checked by tests/test_aws_calls.py)."""

    def __init__(self, client: Any) -> None:
        self.s3 = client

    def get(self, bucket: str, key: str) -> Optional[bytes]:
        try:
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as err:  # botocore.exceptions.ClientError (NoSuchKey is a subclass)
            code, status = _error_code(err)
            if code in ("NoSuchKey", "NotFound", "404") or (status == 404 and code != "NoSuchBucket"):
                return None
            if code == "AccessDenied" or status == 403:
                raise MissingKeyAccessDenied(
                    f"S3 GetObject s3://{bucket}/{key}: AccessDenied. If the key does not exist yet, S3 answers 403 instead of 404 to a "
                    "role without s3:ListBucket on the bucket: grant it (glue/runner/aws_calls.json, stacks/glue.ts)"
                ) from err
            raise

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")

    def list(self, bucket: str, prefix: str) -> List[str]:
        keys: List[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return keys

    def copy(self, copies: List["tuple[str, str, str, str]"]) -> None:
        def one(c: "tuple[str, str, str, str]") -> None:
            source_bucket, source_key, target_bucket, target_key = c
            self.s3.copy_object(
                Bucket=target_bucket, Key=target_key, CopySource={"Bucket": source_bucket, "Key": source_key}, MetadataDirective="REPLACE",
                ContentType="application/vnd.apache.parquet",
            )

        with ThreadPoolExecutor(max_workers=COPY_THREADS) as pool:
            list(pool.map(one, copies))  # re-raises the first failure

    def delete(self, bucket: str, keys: List[str]) -> None:
        for batch in chunks(sorted(set(keys))):
            response = self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            if response.get("Errors"):
                raise RuntimeError(f"S3 DeleteObjects failed for {len(response['Errors'])} keys: {response['Errors'][:3]}")


class SparkEngine:
    """runner.batch.Engine on a Spark session, for one micro-batch's de-aggregated records."""

    def __init__(self, spark: Any, records: Any, plan: Plan) -> None:
        self.spark = spark
        self.plan = plan
        # Read from Kinesis once: every later action reuses it.
        self.records = records.persist()
        self.persisted: List[Any] = [self.records]

    def is_empty(self) -> bool:
        return self.records.isEmpty()

    def provide_batch(self, batch_id: int, processing_time: dt.datetime) -> None:
        self.records.createOrReplaceTempView(self.plan.records.name)
        schema = ddl_schema(self.plan.batch.columns)
        self.spark.createDataFrame([(batch_id, processing_time)], schema).createOrReplaceTempView(self.plan.batch.name)

    def provide_state(self, state: State, uris: List[str]) -> None:
        # Segmented state: one path per live segment, read as one relation (no copy); the compiled lookup streams it
        # past the batch's broadcast messageIds.
        frame = self.spark.sql(empty_state_sql(state)) if not uris else self.spark.read.schema(ddl_schema(state.columns)).parquet(*uris)
        frame.createOrReplaceTempView(state.input)

    def run_statement(self, statement: Statement) -> None:
        if statement.materialize:
            frame = self.spark.sql(statement.query).persist()
            self.persisted.append(frame)
            frame.createOrReplaceTempView(statement.name)
        else:
            self.spark.sql(statement.sql)

    def write_table(self, table: Table, uri: str) -> None:
        from pyspark.sql import functions as F

        frame = self.spark.table(table.relation).select(*table.columns, *table.partition_columns)
        parts = [F.col(c) for c in table.partition_columns]
        # One task per partition directory, so each directory gets one file per batch; rows in write order.
        frame = frame.repartition(*parts) if parts else frame.coalesce(1)
        frame = frame.sortWithinPartitions(*table.partition_columns, *table.write_order)
        frame.write.mode("overwrite").partitionBy(*table.partition_columns).parquet(uri)

    def write_state(self, state: State, uri: str) -> None:
        # What a batch keeps is its own segment (rows in proportion to the batch) or the one-row watermark, never the
        # window: one file per write keeps the number of objects a later batch lists and reads to one per segment.
        frame = self.spark.table(state.output).select(*[c.name for c in state.columns])
        frame.coalesce(1).write.mode("overwrite").parquet(uri)

    def collect_stats(self, relation: str) -> Dict[str, Any]:
        row = self.spark.table(relation).first()
        return {} if row is None else row.asDict()

    def cleanup(self, statements: List[str]) -> None:
        for sql in statements:
            self.spark.sql(sql)
        for frame in self.persisted:
            frame.unpersist()
        self.persisted = []


def read_plan(store: S3Store, args: JobArgs) -> Plan:
    raw = store.get(args.assets_bucket, args.plan_key)
    if raw is None:
        raise RuntimeError(f"the curation plan s3://{args.assets_bucket}/{args.plan_key} does not exist (deploy the stage again)")
    return parse_plan(raw)


def main(argv: List[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    args = parse_job_args(argv)

    import boto3
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    store = S3Store(boto3.client("s3", region_name=args.region))
    cloudwatch = boto3.client("cloudwatch", region_name=args.region)
    plan = read_plan(store, args)

    glue = GlueContext(SparkContext.getOrCreate())
    spark = glue.spark_session
    job = Job(glue)
    job.init(args.job_name, {"JOB_NAME": args.job_name})
    for name, value in plan.settings.items():
        spark.conf.set(name, value)

    source = spark.readStream.format("kinesis").options(**kinesis_options(args)).load()
    cols = source_columns((f.name, f.dataType.simpleString()) for f in source.schema.fields)
    row_type = T.ArrayType(T.StructType([T.StructField("data", T.StringType()), T.StructField("data_base64", T.StringType())]))
    to_rows = F.udf(lambda data, key: [tuple(r) for r in input_rows(data, key)], row_type)

    def on_batch(frame: Any, batch_id: int) -> None:
        started = time.monotonic()
        records = frame.select(F.explode(to_rows(F.col(cols.data), F.col(cols.partition_key))).alias("r"), F.col(cols.arrival_time).alias("arrival_time"))
        records = records.select("r.data", "r.data_base64", "arrival_time")
        now = dt.datetime.now(dt.timezone.utc)
        # The batch's own session: Structured Streaming runs each query on a clone of the session, and temp views
        # registered from the batch's DataFrame live in that clone's catalog, not in `spark`'s.
        result = process_batch(args, plan, batch_id, SparkEngine(frame.sparkSession, records, plan), store, now)
        LOG.info(summary_line(result, time.monotonic() - started))
        if not result.skipped:
            for data in chunks(metric_data(plan, result.stats, now)):
                cloudwatch.put_metric_data(Namespace=args.metrics_namespace, MetricData=data)

    LOG.info("curation job %s: stream %s, window %ss, checkpoint %s, plan %s (contract v%s)", args.job_name, args.stream_arn, args.window_seconds, args.checkpoint_uri, args.plan_key, plan.contract_version)
    glue.forEachBatch(
        frame=source,
        batch_function=on_batch,
        options={"windowSize": f"{args.window_seconds} seconds", "checkpointLocation": args.checkpoint_uri},
    )
    job.commit()


if __name__ == "__main__":
    main(sys.argv)
