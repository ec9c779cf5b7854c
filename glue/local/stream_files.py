"""The local Kinesis stream as files for Spark's file stream source: the records the stream holds, each exactly once.

No Kinesis connector for Structured Streaming from Maven Central runs here against the local stand-in (glue/README.md,
"Running the job locally"), so the local job reads the stream through this small reader instead: it follows every
shard with GetShardIterator/GetRecords (like packages/local/src/curator/stream-ranges.ts) and writes each non-empty
GetRecords answer as one JSON Lines file, named by shard and last sequence number, by write-then-rename (Spark's file
source ignores names starting with "."). Where it stopped is read back from those names on start, so a killed and
restarted job neither skips nor repeats a record; which files a micro-batch read is then Spark's own checkpoint.

Columns are the Kinesis connector's (`data` as base64 here, decoded by the source in local_kinesis.py).
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from typing import Any, Dict, List, Optional

_NAME = re.compile(r"^shard-(?P<shard>.+)-(?P<seq>\d+)\.jsonl$")


class StreamFiles:
    def __init__(self, client: Any, stream_name: str, directory: str, starting_position: str = "TRIM_HORIZON") -> None:
        self.client = client
        self.stream_name = stream_name
        self.directory = directory
        self.starting_position = "LATEST" if starting_position.upper() == "LATEST" else "TRIM_HORIZON"
        self.iterators: Dict[str, Optional[str]] = {}
        self.closed: set = set()
        os.makedirs(directory, exist_ok=True)
        self.positions = self._positions_from_files()

    def _positions_from_files(self) -> Dict[str, int]:
        positions: Dict[str, int] = {}
        for name in os.listdir(self.directory):
            m = _NAME.match(name)
            if m:
                positions[m["shard"]] = max(positions.get(m["shard"], -1), int(m["seq"]))
        return positions

    def _shards(self) -> List[str]:
        shards: List[str] = []
        kwargs: Dict[str, Any] = {"StreamName": self.stream_name}
        while True:
            page = self.client.list_shards(**kwargs)
            shards.extend(s["ShardId"] for s in page.get("Shards", []))
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def _iterator(self, shard: str) -> str:
        after = self.positions.get(shard)
        if after is not None:
            answer = self.client.get_shard_iterator(
                StreamName=self.stream_name, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=str(after)
            )
        else:
            answer = self.client.get_shard_iterator(StreamName=self.stream_name, ShardId=shard, ShardIteratorType=self.starting_position)
        return answer["ShardIterator"]

    def poll(self, max_calls_per_shard: int = 20) -> int:
        """Reads every shard up to its tip (or max_calls_per_shard GetRecords calls); returns the records written."""
        written = 0
        for shard in self._shards():
            if shard in self.closed:
                continue
            iterator = self.iterators.get(shard) or self._iterator(shard)
            for _ in range(max_calls_per_shard):
                try:
                    answer = self.client.get_records(ShardIterator=iterator, Limit=10000)
                except self.client.exceptions.ExpiredIteratorException:
                    iterator = self._iterator(shard)
                    continue
                records = answer.get("Records", [])
                if records:
                    written += self._write(shard, records)
                iterator = answer.get("NextShardIterator")
                if iterator is None:
                    self.closed.add(shard)
                    break
                if not records or answer.get("MillisBehindLatest", 0) == 0:
                    break
            self.iterators[shard] = iterator
        return written

    def _write(self, shard: str, records: List[Dict[str, Any]]) -> int:
        last = int(records[-1]["SequenceNumber"])
        lines = []
        for r in records:
            arrival = r["ApproximateArrivalTimestamp"]
            lines.append(
                json.dumps(
                    {
                        "data": base64.b64encode(r["Data"]).decode("ascii"),
                        "streamName": self.stream_name,
                        "partitionKey": r["PartitionKey"],
                        "sequenceNumber": r["SequenceNumber"],
                        "arrivalMillis": int(round(arrival.timestamp() * 1000)),
                    }
                )
            )
        final = os.path.join(self.directory, f"shard-{shard}-{last}.jsonl")
        temp = os.path.join(self.directory, f".shard-{shard}-{last}.jsonl.tmp")
        with open(temp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.rename(temp, final)
        self.positions[shard] = last
        return len(records)

    def follow(self, interval_seconds: float = 0.5) -> threading.Thread:
        """Polls in a daemon thread until the process ends (a failed poll is retried on the next tick)."""

        def loop() -> None:
            while True:
                try:
                    self.poll()
                except Exception as error:  # noqa: BLE001 - the stand-in keeps following; the job sees no new files meanwhile
                    print(f"stream files: poll failed, retrying: {error}", flush=True)
                    self.iterators.clear()
                time.sleep(interval_seconds)

        thread = threading.Thread(target=loop, name="stream-files", daemon=True)
        thread.start()
        return thread
