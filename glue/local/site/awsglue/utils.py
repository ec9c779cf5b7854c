"""awsglue.utils.getResolvedOptions: `--name value` job arguments by name (the job parses its own, runner/args.py)."""
from __future__ import annotations

import sys
from typing import Dict, List, Sequence

GLUE_DIR = __file__.rsplit("/local/site/", 1)[0]
if GLUE_DIR not in sys.path:
    sys.path.insert(0, GLUE_DIR)

from runner.args import read_argv  # noqa: E402


def getResolvedOptions(args: Sequence[str], options: List[str]) -> Dict[str, str]:
    raw = read_argv(list(args))
    missing = [o for o in options if o not in raw]
    if missing:
        raise SystemExit(f"missing job arguments: {', '.join('--' + m for m in missing)}")
    return {o: raw[o] for o in options}
