"""awsglue.job.Job: init and commit only.

Job bookmarks do not apply to streaming jobs: https://docs.aws.amazon.com/glue/latest/dg/add-job-streaming.html
"""
from __future__ import annotations

from typing import Any, Dict, Optional


class Job:
    def __init__(self, glue_context: Any) -> None:
        self.glue_context = glue_context
        self.name: Optional[str] = None

    def init(self, job_name: str, args: Optional[Dict[str, str]] = None) -> None:
        self.name = job_name

    def commit(self) -> None:
        pass
