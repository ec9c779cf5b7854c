"""The job's AWS calls are listed next to the runner (runner/aws_calls.json), and the stacks grant exactly that list
(the infra tests simulate the job role against it). Here: the script makes no boto3 call that is not listed, every
listed boto3 call is made, and a 403 on a read of a maybe-missing key is an error, never "missing"."""
import ast
import importlib
import json
import os
import unittest

from _path import GLUE_DIR

with open(os.path.join(GLUE_DIR, "runner", "aws_calls.json")) as f:
    CALLS = json.load(f)["calls"]
SCRIPT = os.path.join(GLUE_DIR, "eventlake_job.py")
#: The boto3 clients the script creates, and the names it binds them to.
CLIENT_NAMES = {"s3", "cloudwatch"}


def boto3_calls_in_script():
    """Methods called on a boto3 client (`self.s3.x(...)`, `cloudwatch.x(...)`), and paginators by operation name."""
    with open(SCRIPT) as f:
        tree = ast.parse(f.read())
    found = set()
    clients = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        target = node.func.value
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else None
        if isinstance(target, ast.Name) and target.id == "boto3" and node.func.attr == "client":
            clients.add(node.args[0].value)
        if name in CLIENT_NAMES:
            if node.func.attr == "get_paginator":
                found.add(node.args[0].value)
            elif node.func.attr != "exceptions":
                found.add(node.func.attr)
    return found, clients


class ListedCalls(unittest.TestCase):
    def test_every_boto3_call_of_the_script_is_listed_and_every_listed_one_is_made(self):
        made, clients = boto3_calls_in_script()
        self.assertEqual(clients, CLIENT_NAMES)
        listed = {c["boto3"] for c in CALLS if "boto3" in c}
        self.assertEqual(made, listed)

    def test_every_call_names_an_exact_action_and_its_code(self):
        for call in CALLS:
            self.assertRegex(call["action"], r"^[a-z0-9-]+:[A-Za-z]+$", call)
            self.assertTrue(call["by"], call)
            self.assertTrue(call["resource"], call)

    def test_reads_of_maybe_missing_keys_are_marked(self):
        # The pointer, the manifests and the plan may be missing: S3 answers 404 only with ListBucket on the bucket.
        marked = [c for c in CALLS if c.get("readsMaybeMissingKey")]
        self.assertTrue(all(c["action"] == "s3:GetObject" for c in marked))
        self.assertIn("{curationWorkDir}", " ".join(c["resource"] for c in marked))

    def test_spark_paths_are_under_the_work_prefix(self):
        # Checkpoint, state, staging and --TempDir all sit under one prefix: EMRFS writes <dir>_$folder$ markers and
        # reads parent "directories", so the grant covers the whole prefix, marker included.
        spark = [c for c in CALLS if "spark" in c]
        self.assertTrue(spark)
        for call in spark:
            self.assertIn("{curationWorkDir}", call["spark"])
            # Objects under the prefix, or the bucket listed under it.
            self.assertIn("{curationWorkDir}", call["resource"] + json.dumps(call.get("context", {})))
        self.assertIn("arn:{partition}:s3:::{assetsBucket}/{curationWorkDir}_$folder$", {c["resource"] for c in spark})


class ClientError(Exception):
    """botocore's ClientError shape: `.response` with the error code and the HTTP status."""

    def __init__(self, code, status):
        super().__init__(code)
        self.response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}


class RefusingClient:
    def __init__(self, code, status):
        self.error = ClientError(code, status)

    def get_object(self, Bucket, Key):  # noqa: N803 (boto3's names)
        raise self.error


class MissingKeys(unittest.TestCase):
    def setUp(self):
        self.job = importlib.import_module("eventlake_job")

    def test_404_is_missing(self):
        self.assertIsNone(self.job.S3Store(RefusingClient("NoSuchKey", 404)).get("b", "glue/jobs/curation/state/pointer.json"))

    def test_403_is_a_clear_error_not_missing(self):
        with self.assertRaises(self.job.MissingKeyAccessDenied) as ctx:
            self.job.S3Store(RefusingClient("AccessDenied", 403)).get("b", "glue/jobs/curation/state/pointer.json")
        self.assertIn("s3:ListBucket", str(ctx.exception))
        self.assertIn("s3://b/glue/jobs/curation/state/pointer.json", str(ctx.exception))

    def test_other_errors_propagate(self):
        with self.assertRaises(ClientError):
            self.job.S3Store(RefusingClient("SlowDown", 503)).get("b", "k")
        with self.assertRaises(ClientError):
            self.job.S3Store(RefusingClient("NoSuchBucket", 404)).get("b", "k")


if __name__ == "__main__":
    unittest.main()
