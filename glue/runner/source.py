"""The Kinesis source: its options and the columns the runner reads from it (pure).

The job reads the stream through Glue's Kinesis connector as a Spark source (`spark.readStream.format("kinesis")`),
which yields the raw record bytes (`data`, binary) with the partition key and arrival time, so that the runner can
de-aggregate KPL records itself (runner/kpl.py) and keep undecodable bytes. The option names are Glue's
(https://docs.aws.amazon.com/glue/latest/webapi/API_KinesisStreamingSourceOptions.html). Whether this source already de-aggregates is undocumented: either way is correct, since
de-aggregating a plain record passes it through. `source_columns` checks the schema on start-up and stops the job
with a clear message if the connector does not give the raw bytes, rather than curating mangled data.
"""
from __future__ import annotations

from typing import Dict, Iterable, NamedTuple, Tuple

from .args import JobArgs


class SourceError(RuntimeError):
    """The stream source does not have the columns the runner needs."""


class SourceColumns(NamedTuple):
    data: str
    partition_key: str
    arrival_time: str


def kinesis_options(args: JobArgs) -> Dict[str, str]:
    options = {
        "streamARN": args.stream_arn,
        # The ARN is what Glue documents; the name and endpoint are what the open-source connector it derives from reads.
        "streamName": args.stream_name,
        "endpointUrl": args.kinesis_endpoint,
        # Only for the first start: afterwards the checkpoint decides where to resume.
        "startingPosition": args.starting_position,
        # glue.driver.streaming.maxConsumerLagInMs, read by the curated-layer lag alarm.
        "emitConsumerLagMetrics": "true",
        "addRecordTimestamp": "false",
        "avoidEmptyBatches": "true",
    }
    if args.max_fetch_records_per_shard is not None:
        options["maxFetchRecordsPerShard"] = str(args.max_fetch_records_per_shard)
    return options


_WANTED = {
    "data": ("data", ("binary",)),
    "partition_key": ("partitionkey", ("string",)),
    "arrival_time": ("approximatearrivaltimestamp", ("timestamp",)),
}


def source_columns(fields: Iterable[Tuple[str, str]]) -> SourceColumns:
    """Picks the data, partition key and arrival time columns from (name, simple type) pairs; names are matched
    case-insensitively (`approximateArrivalTimestamp`)."""
    by_name = {name.lower(): (name, type_.lower()) for name, type_ in fields}
    found: Dict[str, str] = {}
    problems = []
    for role, (name, types) in _WANTED.items():
        hit = by_name.get(name)
        if hit is None:
            problems.append(f"no column {name!r}")
        elif hit[1] not in types:
            problems.append(f"column {hit[0]!r} is {hit[1]}, expected {' or '.join(types)}")
        else:
            found[role] = hit[0]
    if problems:
        schema = ", ".join(f"{n}: {t}" for n, t in by_name.values())
        raise SourceError(
            "the Kinesis source does not provide the raw records ("
            + "; ".join(problems)
            + f"). Its schema is: {schema}. The runner needs the record bytes to de-aggregate KPL records and keep "
            "undecodable ones; see glue/README.md."
        )
    return SourceColumns(found["data"], found["partition_key"], found["arrival_time"])
