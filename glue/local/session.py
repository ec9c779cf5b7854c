"""A local SparkSession for running the Glue job's code on one machine (local mode, no cluster).

Glue 4.0 runs Spark 3.3 on a cluster; here the same statements run in one JVM with PySpark from glue/.venv
(scripts/glue-env.mjs). Settings that only matter for speed on 2 cores (few shuffle partitions, no UI) are set
here; everything the curation depends on (time zone, ANSI mode, Parquet timestamps) comes from the plan, applied by
the caller exactly as the job applies it.
"""
from __future__ import annotations

import glob
import os
from typing import Any, Dict, Optional

GLUE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: hadoop-aws and its SDK bundle, downloaded by scripts/glue-env.mjs (local files: nothing is resolved at run time).
JARS_DIR = os.path.join(GLUE_DIR, ".venv", "jars")


def s3a_settings(endpoint: str) -> Dict[str, str]:
    """Spark's S3 file system (hadoop-aws S3A) on the local S3 stand-in: path-style, plain HTTP, static keys.

    Option names: https://hadoop.apache.org/docs/r3.3.4/hadoop-aws/tools/hadoop-aws/index.html
    """
    return {
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
        "spark.hadoop.fs.s3a.access.key": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "spark.hadoop.fs.s3a.secret.key": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        "spark.hadoop.fs.s3a.change.detection.mode": "none",
        "spark.hadoop.fs.s3a.attempts.maximum": "3",
        "spark.hadoop.fs.s3a.retry.limit": "3",
    }


def local_session(app: str, extra: Optional[Dict[str, str]] = None) -> Any:
    from pyspark.sql import SparkSession

    # Loopback only: without these Spark binds the driver to the machine's first non-loopback address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(os.environ.get("EVENTLAKE_SPARK_MASTER", "local[2]"))
        .appName(app)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
    )
    jars = sorted(glob.glob(os.path.join(JARS_DIR, "*.jar")))
    if jars:
        builder = builder.config("spark.jars", ",".join(jars))
    for name, value in (extra or {}).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
