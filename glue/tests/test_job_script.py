"""The job script itself: it compiles, imports without Spark or Glue (they load lazily in main), and its Kinesis
options and source check are what the stack and the connector expect."""
import importlib
import os
import py_compile
import sys
import tempfile
import unittest

from _path import GLUE_DIR
from runner.args import parse_job_args
from runner.source import SourceError, kinesis_options, source_columns
from test_args import BASE

GLUE_SCHEMA = [("data", "binary"), ("streamName", "string"), ("partitionKey", "string"), ("sequenceNumber", "string"), ("approximateArrivalTimestamp", "timestamp")]


class JobScript(unittest.TestCase):
    def test_compiles_and_imports_without_spark(self):
        path = os.path.join(GLUE_DIR, "eventlake_job.py")
        with tempfile.TemporaryDirectory() as tmp:
            py_compile.compile(path, cfile=os.path.join(tmp, "job.pyc"), doraise=True)
        module = importlib.import_module("eventlake_job")
        self.assertTrue(callable(module.main))
        for heavy in ("pyspark", "awsglue", "boto3"):
            self.assertNotIn(heavy, sys.modules)

    def test_refuses_bad_arguments_before_touching_spark(self):
        module = importlib.import_module("eventlake_job")
        with self.assertRaises(ValueError):
            module.main(["eventlake_job.py", "--JOB_NAME", "x"])
        self.assertNotIn("pyspark", sys.modules)


class KinesisSource(unittest.TestCase):
    def test_options(self):
        options = kinesis_options(parse_job_args(BASE + ["--max_fetch_records_per_shard", "20000"]))
        self.assertEqual(options["streamARN"], "arn:aws:kinesis:eu-west-1:123456789012:stream/eventlake-dev-Events")
        self.assertEqual(options["streamName"], "eventlake-dev-Events")
        self.assertEqual(options["endpointUrl"], "https://kinesis.eu-west-1.amazonaws.com")
        self.assertEqual(options["startingPosition"], "TRIM_HORIZON")
        self.assertEqual(options["emitConsumerLagMetrics"], "true")
        self.assertEqual(options["maxFetchRecordsPerShard"], "20000")
        self.assertTrue(all(isinstance(v, str) for v in options.values()))

    def test_source_columns_from_the_connector_schema(self):
        cols = source_columns(GLUE_SCHEMA)
        self.assertEqual(cols, ("data", "partitionKey", "approximateArrivalTimestamp"))

    def test_a_source_without_raw_bytes_stops_the_job_with_its_schema(self):
        with self.assertRaises(SourceError) as raised:
            source_columns([("$json$data_infer_schema$_temporary$", "string")])
        message = str(raised.exception)
        self.assertIn("no column 'data'", message)
        self.assertIn("$json$data_infer_schema$_temporary$: string", message)
        with self.assertRaises(SourceError) as raised:
            source_columns([(n, "string") for n, _ in GLUE_SCHEMA])
        self.assertIn("column 'data' is string, expected binary", str(raised.exception))


if __name__ == "__main__":
    unittest.main()
