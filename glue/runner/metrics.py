"""What the job tells CloudWatch and its log about a batch (pure)."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Dict, List

from .batch import BatchResult
from .plan import Plan


def metric_data(plan: Plan, stats: Dict[str, Any], timestamp: dt.datetime) -> List[Dict[str, Any]]:
    """PutMetricData entries for the batch's counts (one per plan metric whose column holds a number)."""
    dimensions = [{"Name": k, "Value": v} for k, v in sorted(plan.stats_dimensions.items())]
    out = []
    for metric in plan.metrics:
        value = stats.get(metric.column)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        out.append({"MetricName": metric.metric, "Dimensions": dimensions, "Timestamp": timestamp, "Value": float(value), "Unit": "Count"})
    return out


def chunks(items: List[Any], size: int = 1000) -> List[List[Any]]:
    """PutMetricData takes at most 1,000 metrics per call (S3 DeleteObjects too)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return value


def summary_line(result: BatchResult, seconds: float) -> str:
    """One JSON log line per batch (counts only, never payloads)."""
    body: Dict[str, Any] = {"msg": "batch", "batchId": result.batch_id, "skipped": result.skipped, "seconds": round(seconds, 3)}
    if not result.skipped:
        body.update(
            stateRead=result.state_read,
            files=result.files,
            replacedFiles=result.replaced,
            stats={k: _plain(v) for k, v in sorted(result.stats.items())},
        )
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
