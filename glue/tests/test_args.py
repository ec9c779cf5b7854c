"""Job argument parsing (the defaults the stack sets, plus Glue's own arguments)."""
import unittest

from _path import GLUE_DIR  # noqa: F401  (sys.path)
from runner.args import ArgumentError, parse_job_args, read_argv

ARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/eventlake-dev-Events"
BASE = [
    "script.py",
    "--JOB_ID", "j_1",
    "--JOB_RUN_ID", "jr_1",
    "--job-bookmark-option", "job-bookmark-disable",
    "--JOB_NAME", "eventlake-dev-curate",
    "--stream_arn", ARN,
    "--lake_bucket", "eventlake-dev-lake",
    "--assets_bucket", "eventlake-dev-assets",
    "--plan_key", "glue/scripts/curation-plan.json",
    "--checkpoint_prefix", "glue/checkpoints/curate",
    "--state_prefix", "/glue/state/curate/",
    "--staging_prefix", "glue/temp/staging",
    "--window_seconds", "60",
    "--metrics_namespace", "eventlake/dev",
]


class ParseJobArgs(unittest.TestCase):
    def test_parses_the_stack_arguments(self):
        args = parse_job_args(BASE)
        self.assertEqual(args.job_name, "eventlake-dev-curate")
        self.assertEqual(args.stream_name, "eventlake-dev-Events")
        self.assertEqual(args.region, "eu-west-1")
        self.assertEqual(args.kinesis_endpoint, "https://kinesis.eu-west-1.amazonaws.com")
        self.assertEqual(args.starting_position, "TRIM_HORIZON")
        self.assertEqual(args.window_seconds, 60)
        self.assertEqual(args.checkpoint_uri, "s3://eventlake-dev-assets/glue/checkpoints/curate/")
        self.assertEqual(args.state_prefix, "glue/state/curate/")
        self.assertEqual(args.staging_prefix, "glue/temp/staging/")
        self.assertIsNone(args.max_fetch_records_per_shard)

    def test_later_values_win_and_equals_form_works(self):
        args = parse_job_args(BASE + ["--window_seconds=30", "--starting_position", "latest", "--max_fetch_records_per_shard", "50000"])
        self.assertEqual(args.window_seconds, 30)
        self.assertEqual(args.starting_position, "LATEST")
        self.assertEqual(args.max_fetch_records_per_shard, 50000)

    def test_china_partition_endpoint(self):
        argv = [a.replace("arn:aws:", "arn:aws-cn:").replace("eu-west-1", "cn-north-1") for a in BASE]
        self.assertEqual(parse_job_args(argv).kinesis_endpoint, "https://kinesis.cn-north-1.amazonaws.com.cn")

    def test_reports_every_missing_argument_at_once(self):
        with self.assertRaises(ArgumentError) as raised:
            parse_job_args(["script.py", "--JOB_NAME", "x"])
        message = str(raised.exception)
        for name in ("--stream_arn", "--lake_bucket", "--plan_key", "--window_seconds", "--metrics_namespace"):
            self.assertIn(name, message)
        self.assertNotIn("--JOB_NAME", message)

    def test_rejects_malformed_values(self):
        argv = BASE + ["--stream_arn", "arn:aws:s3:::bucket", "--window_seconds", "0", "--starting_position", "middle", "--lake_bucket", "Bad_Bucket"]
        with self.assertRaises(ArgumentError) as raised:
            parse_job_args(argv)
        message = str(raised.exception)
        self.assertIn("not a Kinesis stream ARN", message)
        self.assertIn("--window_seconds must be >= 1", message)
        self.assertIn("--starting_position", message)
        self.assertIn("--lake_bucket is not a bucket name", message)

    def test_read_argv_flags_without_values(self):
        self.assertEqual(read_argv(["--a", "--b", "1", "x", "--c"]), {"a": "", "b": "1", "c": ""})


if __name__ == "__main__":
    unittest.main()
