"""Job arguments: what the stack passes as the Glue job's default arguments, parsed without awsglue.

Glue hands a script its arguments in sys.argv as `--name value` pairs (its own, like `--JOB_ID`, and ours). The
awsglue helper getResolvedOptions does the same; this parser is ours so it is unit-tested here and fails with one
clear message naming every missing or malformed argument.
"""
from __future__ import annotations

import re
from typing import Dict, List, NamedTuple, Optional, Sequence

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "EARLIEST")
_KINESIS_ARN = re.compile(r"^arn:(aws[a-z-]*):kinesis:([a-z0-9-]+):(\d{12}):stream/([A-Za-z0-9_.-]{1,128})$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class ArgumentError(ValueError):
    """Missing or malformed job arguments (the message lists every problem)."""


class JobArgs(NamedTuple):
    job_name: str
    stream_arn: str
    stream_name: str
    region: str
    kinesis_endpoint: str
    starting_position: str
    window_seconds: int
    lake_bucket: str
    assets_bucket: str
    plan_key: str
    checkpoint_uri: str
    state_prefix: str
    staging_prefix: str
    metrics_namespace: str
    max_fetch_records_per_shard: Optional[int]


REQUIRED = (
    "JOB_NAME",
    "stream_arn",
    "lake_bucket",
    "assets_bucket",
    "plan_key",
    "checkpoint_prefix",
    "state_prefix",
    "staging_prefix",
    "window_seconds",
    "metrics_namespace",
)
OPTIONAL = ("starting_position", "max_fetch_records_per_shard")


def read_argv(argv: Sequence[str]) -> Dict[str, str]:
    """`--name value` and `--name=value` pairs; later values win (Glue appends run arguments after defaults)."""
    out: Dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--"):
            name = token[2:]
            if "=" in name:
                name, value = name.split("=", 1)
                out[name] = value
            elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                out[name] = argv[i + 1]
                i += 1
            else:
                out[name] = ""
        i += 1
    return out


def kinesis_endpoint(region: str, partition: str = "aws") -> str:
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return f"https://kinesis.{region}.{suffix}"


def _prefix(value: str) -> str:
    """An S3 key prefix: no leading slash, exactly one trailing slash."""
    return value.strip("/") + "/"


def parse_job_args(argv: Sequence[str]) -> JobArgs:
    raw = read_argv(argv)
    problems: List[str] = []
    for name in REQUIRED:
        if not raw.get(name):
            problems.append(f"--{name} is required")
    if problems:
        raise ArgumentError("invalid job arguments: " + "; ".join(problems))

    arn = _KINESIS_ARN.match(raw["stream_arn"])
    if not arn:
        problems.append(f"--stream_arn is not a Kinesis stream ARN: {raw['stream_arn']!r}")
    for name in ("lake_bucket", "assets_bucket"):
        if not _BUCKET.match(raw[name]):
            problems.append(f"--{name} is not a bucket name: {raw[name]!r}")
    position = raw.get("starting_position") or "TRIM_HORIZON"
    if position.upper() not in STARTING_POSITIONS:
        problems.append(f"--starting_position must be one of {', '.join(STARTING_POSITIONS)}")
    window = _positive_int(raw["window_seconds"], "window_seconds", problems)
    max_fetch: Optional[int] = None
    if raw.get("max_fetch_records_per_shard"):
        max_fetch = _positive_int(raw["max_fetch_records_per_shard"], "max_fetch_records_per_shard", problems)
    if problems:
        raise ArgumentError("invalid job arguments: " + "; ".join(problems))

    assert arn is not None
    partition, region, _account, stream_name = arn.groups()
    return JobArgs(
        job_name=raw["JOB_NAME"],
        stream_arn=raw["stream_arn"],
        stream_name=stream_name,
        region=region,
        kinesis_endpoint=kinesis_endpoint(region, partition),
        starting_position=position.upper(),
        window_seconds=window,
        lake_bucket=raw["lake_bucket"],
        assets_bucket=raw["assets_bucket"],
        plan_key=raw["plan_key"].lstrip("/"),
        checkpoint_uri=f"s3://{raw['assets_bucket']}/{_prefix(raw['checkpoint_prefix'])}",
        state_prefix=_prefix(raw["state_prefix"]),
        staging_prefix=_prefix(raw["staging_prefix"]),
        metrics_namespace=raw["metrics_namespace"],
        max_fetch_records_per_shard=max_fetch,
    )


def _positive_int(value: str, name: str, problems: List[str]) -> int:
    try:
        number = int(value)
    except ValueError:
        problems.append(f"--{name} must be an integer, got {value!r}")
        return 0
    if number < 1:
        problems.append(f"--{name} must be >= 1, got {number}")
    return number
