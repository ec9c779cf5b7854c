"""Makes glue/ importable (so `from runner import ...` works) when tests run from the repository root."""
import os
import sys

GLUE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(GLUE_DIR, "tests", "fixtures")
if GLUE_DIR not in sys.path:
    sys.path.insert(0, GLUE_DIR)
