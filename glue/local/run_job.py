"""Runs glue/eventlake_job.py, unchanged, in local Spark against the local pipeline (glue/README.md, "Running the job
locally"). What stands in for AWS, and nothing else:

  - `awsglue` (glue/local/site/awsglue): GlueContext.forEachBatch, Job, getResolvedOptions;
  - the Kinesis source: `spark.readStream.format("kinesis")` gives a file stream source over the records the local
    stream holds (stream_files.py), with the connector's columns (data as bytes, partitionKey,
    approximateArrivalTimestamp, ...);
  - S3: Spark writes through hadoop-aws (s3:// and s3a:// on S3AFileSystem, path-style, the local endpoint) and boto3
    gets the same endpoint; CloudWatch PutMetricData goes to a JSON Lines file.

Usage: python run_job.py <the job's arguments, as Glue passes them>
Environment: EVENTLAKE_S3_ENDPOINT, EVENTLAKE_KINESIS_ENDPOINT (http://127.0.0.1:port), EVENTLAKE_SPARK_WORK_DIR (the
stream files and metrics.ndjson).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
GLUE_DIR = os.path.dirname(HERE)
for path in (os.path.join(HERE, "site"), GLUE_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

from local.session import local_session, s3a_settings  # noqa: E402
from local.stream_files import StreamFiles  # noqa: E402

STREAM_FILE_SCHEMA = "data STRING, streamName STRING, partitionKey STRING, sequenceNumber STRING, arrivalMillis BIGINT"


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"run_job.py: {name} is required")
    return value


class LocalCloudWatch:
    """PutMetricData into <work dir>/metrics.ndjson (one line per call; datetimes as ISO-8601)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def put_metric_data(self, Namespace: str, MetricData: List[Dict[str, Any]]) -> Dict[str, Any]:  # noqa: N803 - boto3's names
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"Namespace": Namespace, "MetricData": MetricData}, default=lambda v: v.isoformat()) + "\n")
        return {}


def patch_boto3(s3_endpoint: str, kinesis_endpoint: str, metrics_path: str) -> None:
    import boto3
    from botocore.config import Config

    original = boto3.client

    def client(service: str, *args: Any, **kwargs: Any) -> Any:
        if service == "cloudwatch":
            return LocalCloudWatch(metrics_path)
        if service == "s3":
            kwargs.setdefault("endpoint_url", s3_endpoint)
            kwargs.setdefault("config", Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
        if service == "kinesis":
            kwargs.setdefault("endpoint_url", kinesis_endpoint)
        return original(service, *args, **kwargs)

    boto3.client = client


class LocalKinesisSource:
    """What `spark.readStream.format("kinesis")` returns locally: takes Glue's options, loads the stream files."""

    def __init__(self, spark: Any, kinesis_client: Any, directory: str) -> None:
        self.spark = spark
        self.kinesis = kinesis_client
        self.directory = directory
        self.settings: Dict[str, str] = {}

    def option(self, key: str, value: Any) -> "LocalKinesisSource":
        self.settings[key] = str(value)
        return self

    def options(self, **kwargs: Any) -> "LocalKinesisSource":
        for k, v in kwargs.items():
            self.option(k, v)
        return self

    def load(self) -> Any:
        from pyspark.sql import functions as F

        files = StreamFiles(self.kinesis, self.settings["streamName"], self.directory, self.settings.get("startingPosition", "TRIM_HORIZON"))
        files.poll()
        files.follow()
        frame = self.spark.readStream.schema(STREAM_FILE_SCHEMA).json(self.directory)
        return frame.select(
            F.unbase64("data").alias("data"),
            "streamName",
            "partitionKey",
            "sequenceNumber",
            F.expr("timestamp_millis(arrivalMillis)").alias("approximateArrivalTimestamp"),
        )


def patch_kinesis_source(spark: Any, kinesis_client: Any, directory: str) -> None:
    from pyspark.sql.streaming import DataStreamReader

    original = DataStreamReader.format

    def format(self: Any, source: str) -> Any:  # noqa: A001 - PySpark's name
        if source.lower() == "kinesis":
            return LocalKinesisSource(spark, kinesis_client, directory)
        return original(self, source)

    DataStreamReader.format = format


def stop_now(signum: int, _frame: Any) -> None:
    """SIGTERM/SIGINT: end at once, as a killed Glue job does (the JVM exits when its parent's pipe closes); a batch
    in flight is replayed from the checkpoint by the next start, so there is nothing to finish first."""
    os._exit(128 + signum)


def main(argv: List[str]) -> None:
    s3_endpoint = env("EVENTLAKE_S3_ENDPOINT")
    kinesis_endpoint = env("EVENTLAKE_KINESIS_ENDPOINT")
    work = env("EVENTLAKE_SPARK_WORK_DIR")
    os.makedirs(work, exist_ok=True)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

    patch_boto3(s3_endpoint, kinesis_endpoint, os.path.join(work, "metrics.ndjson"))
    import boto3

    from runner.args import parse_job_args

    args = parse_job_args(argv)
    # The session the job's SparkContext.getOrCreate() finds: local mode, hadoop-aws on the local S3.
    spark = local_session(f"eventlake-{args.job_name}", s3a_settings(s3_endpoint))
    # After the SparkContext exists: it installs its own SIGINT handler (cancel jobs, KeyboardInterrupt), which fails
    # with a reentrant py4j call while the main thread waits in awaitTermination.
    signal.signal(signal.SIGTERM, stop_now)
    signal.signal(signal.SIGINT, stop_now)
    patch_kinesis_source(spark, boto3.client("kinesis", region_name=args.region), os.path.join(work, "stream-files"))

    import eventlake_job

    eventlake_job.main(argv)


if __name__ == "__main__":
    main(sys.argv)
