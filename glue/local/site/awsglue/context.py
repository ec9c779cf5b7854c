"""GlueContext.forEachBatch as Glue documents it: a Structured Streaming query over `frame` with foreachBatch,
a processing-time trigger of `windowSize` and the checkpoint at `checkpointLocation` (both required); it blocks
until the query stops. Glue's own retries of a failed batch (`batchMaxRetries`) are not reproduced: a failed batch
stops the query, and the restarted job replays it from the checkpoint, which is the path the job must survive anyway.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from pyspark.sql import SparkSession


class GlueContext:
    def __init__(self, spark_context: Any) -> None:
        self._sc = spark_context
        self.spark_session = SparkSession(spark_context) if SparkSession._instantiatedSession is None else SparkSession._instantiatedSession

    def forEachBatch(self, frame: Any, batch_function: Callable[[Any, int], None], options: Dict[str, str]) -> None:
        for required in ("windowSize", "checkpointLocation"):
            if not options.get(required):
                raise ValueError(f"forEachBatch: option {required!r} is required")
        query = (
            frame.writeStream.foreachBatch(batch_function)
            .trigger(processingTime=options["windowSize"])
            .option("checkpointLocation", options["checkpointLocation"])
            .start()
        )
        query.awaitTermination()
