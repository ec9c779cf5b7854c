"""Loading and checking the curation plan (the JSON asset built from the contract by
packages/core/src/glue/job-plan.ts; pure).

The runner trusts nothing it did not check: the plan's format and version, unique relation names, statements that
only read relations defined before them (or provided by the runner), and outputs that exist. A plan that fails a
check stops the job at start-up with every problem listed, before any record is read.
"""
from __future__ import annotations

import json
import re
from typing import Dict, List, NamedTuple, Optional, Sequence, Set

PLAN_FORMAT = "eventlake.glue-curation-plan"
#: 2: dedup and aggregate state are append-only segments (State.segments, Plan.segment_bounds).
PLAN_VERSION = 2
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PlanError(ValueError):
    """The plan is not one this runner can execute (the message lists every problem)."""


class Column(NamedTuple):
    name: str
    type: str
    nullable: bool


class Relation(NamedTuple):
    name: str
    columns: List[Column]


class Statement(NamedTuple):
    name: str
    sql: str
    query: str
    materialize: bool


class Table(NamedTuple):
    name: str
    relation: str
    prefix: str
    columns: List[str]
    partition_columns: List[str]
    write_order: List[str]


class Segments(NamedTuple):
    """Columns of the plan's segment-bounds relation for one segmented state (microseconds, may be NULL)."""

    #: this batch's segment's bound (NULL: the segment is empty, nothing to keep)
    bound: str
    #: the smallest bound a later batch still reads (NULL: keep every segment)
    live_from: str


class State(NamedTuple):
    name: str
    input: str
    #: the whole next state, or (segments set) only this batch's segment
    output: str
    columns: List[Column]
    initial: str
    segments: Optional[Segments] = None


class Metric(NamedTuple):
    column: str
    metric: str


class Plan(NamedTuple):
    contract_version: int
    settings: Dict[str, str]
    records: Relation
    batch: Relation
    state: List[State]
    statements: List[Statement]
    tables: List[Table]
    stats_relation: str
    #: one row: the columns each State.segments names
    segment_bounds: str
    stats_dimensions: Dict[str, str]
    metrics: List[Metric]
    cleanup: List[str]

    def provided(self) -> List[str]:
        """Relations the runner registers before the statements run."""
        return [self.records.name, self.batch.name] + [s.input for s in self.state]


def _columns(raw: object, where: str, problems: List[str]) -> List[Column]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: columns must be a non-empty list")
        return []
    out = []
    for c in raw:
        if not isinstance(c, dict) or not _IDENTIFIER.match(str(c.get("name", ""))) or not isinstance(c.get("type"), str):
            problems.append(f"{where}: bad column {c!r}")
            continue
        out.append(Column(c["name"], c["type"], bool(c.get("nullable", True))))
    return out


def _relation(raw: object, where: str, problems: List[str]) -> Relation:
    if not isinstance(raw, dict):
        problems.append(f"{where} is missing")
        return Relation("", [])
    name = str(raw.get("name", ""))
    if not _IDENTIFIER.match(name):
        problems.append(f"{where}: bad relation name {name!r}")
    return Relation(name, _columns(raw.get("columns"), where, problems))


def _names(raw: object) -> List[str]:
    return [str(x) for x in raw] if isinstance(raw, list) else []


def referenced(sql: str, candidates: Set[str]) -> Set[str]:
    """Relation names of `candidates` that appear as whole identifiers in the SQL (string literals removed)."""
    without_literals = re.sub(r"'(?:\\.|[^'\\])*'", "''", sql)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", without_literals))
    return words & candidates


def check_order(statements: Sequence[Statement], provided: Sequence[str]) -> List[str]:
    """Problems with the statement order: a statement that reads a relation created later (or by itself)."""
    problems: List[str] = []
    created = [s.name for s in statements]
    all_names = set(created) | set(provided)
    defined: Set[str] = set(provided)
    for s in statements:
        for name in sorted(referenced(s.query or s.sql, all_names) - {s.name}):
            if name not in defined:
                problems.append(f"statement {s.name!r} reads {name!r} before it is created")
        defined.add(s.name)
    return problems


def parse_plan(raw: bytes) -> Plan:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PlanError(f"the plan is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise PlanError("the plan is not a JSON object")
    if body.get("format") != PLAN_FORMAT or body.get("version") != PLAN_VERSION:
        raise PlanError(
            f"unsupported plan {body.get('format')!r} version {body.get('version')!r}: this runner reads {PLAN_FORMAT} "
            f"version {PLAN_VERSION} (deploy the job script and the plan together)"
        )
    problems: List[str] = []
    settings = body.get("settings") or {}
    if not isinstance(settings, dict) or not all(isinstance(v, str) for v in settings.values()):
        problems.append("settings must map names to strings")
        settings = {}
    records = _relation(body.get("records"), "records", problems)
    batch = _relation(body.get("batch"), "batch", problems)

    states: List[State] = []
    for i, s in enumerate(body.get("state") or []):
        where = f"state[{i}]"
        if not isinstance(s, dict):
            problems.append(f"{where} is not an object")
            continue
        if s.get("initial") not in ("empty", "null-row"):
            problems.append(f"{where}: initial must be 'empty' or 'null-row'")
        if not _IDENTIFIER.match(str(s.get("name", ""))):
            problems.append(f"{where}: bad name {s.get('name')!r}")
        segments = None
        raw_segments = s.get("segments")
        if raw_segments is not None:
            if not isinstance(raw_segments, dict) or not all(_IDENTIFIER.match(str(raw_segments.get(k, ""))) for k in ("bound", "liveFrom")):
                problems.append(f"{where}: segments needs the bound and liveFrom column names")
            else:
                segments = Segments(str(raw_segments["bound"]), str(raw_segments["liveFrom"]))
        states.append(
            State(str(s.get("name")), str(s.get("input")), str(s.get("output")), _columns(s.get("columns"), where, problems), str(s.get("initial")), segments)
        )

    statements: List[Statement] = []
    for i, s in enumerate(body.get("statements") or []):
        if not isinstance(s, dict) or not _IDENTIFIER.match(str(s.get("name", ""))) or not str(s.get("sql", "")).strip():
            problems.append(f"statements[{i}] needs a name and sql")
            continue
        statements.append(Statement(s["name"], s["sql"], str(s.get("query", "")), bool(s.get("materialize", False))))
    if not statements:
        problems.append("the plan has no statements")
    if any(s.materialize and not s.query.strip() for s in statements):
        problems.append("a materialized statement needs its query")

    tables: List[Table] = []
    for i, t in enumerate(body.get("tables") or []):
        if not isinstance(t, dict):
            problems.append(f"tables[{i}] is not an object")
            continue
        prefix = str(t.get("prefix", ""))
        if not prefix.endswith("/") or prefix.startswith("/"):
            problems.append(f"table {t.get('name')!r}: prefix must be relative and end with '/'")
        tables.append(
            Table(str(t.get("name")), str(t.get("relation")), prefix, _names(t.get("columns")), _names(t.get("partitionColumns")), _names(t.get("writeOrder")))
        )
    if not tables:
        problems.append("the plan writes no tables")

    stats = body.get("stats") or {}
    metrics = [Metric(str(m.get("column")), str(m.get("metric"))) for m in stats.get("metrics", []) if isinstance(m, dict)]
    plan = Plan(
        contract_version=int(body.get("contractVersion", 0)),
        settings={str(k): v for k, v in settings.items()},
        records=records,
        batch=batch,
        state=states,
        statements=statements,
        tables=tables,
        stats_relation=str(stats.get("relation", "")),
        segment_bounds=str(body.get("segmentBounds", "")),
        stats_dimensions={str(k): str(v) for k, v in (stats.get("dimensions") or {}).items()},
        metrics=metrics,
        cleanup=[str(c) for c in body.get("cleanup") or [] if str(c).strip()],
    )

    names = [s.name for s in statements]
    duplicates = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(plan.provided())))
    if duplicates:
        problems.append(f"relations defined twice: {', '.join(duplicates)}")
    problems.extend(check_order(statements, plan.provided()))
    created = set(names)
    for t in tables:
        if t.relation not in created:
            problems.append(f"table {t.name!r} reads {t.relation!r}, which no statement creates")
        if set(t.write_order) - set(t.columns) - set(t.partition_columns):
            problems.append(f"table {t.name!r}: write order names unknown columns")
    for s in states:
        if s.output not in created:
            problems.append(f"state {s.name!r} keeps {s.output!r}, which no statement creates")
    if any(s.segments for s in states) and plan.segment_bounds not in created:
        problems.append(f"segment bounds relation {plan.segment_bounds!r} is not created by any statement")
    if plan.stats_relation and plan.stats_relation not in created:
        problems.append(f"stats relation {plan.stats_relation!r} is not created by any statement")
    if problems:
        raise PlanError("invalid curation plan: " + "; ".join(problems))
    return plan


def empty_state_sql(state: State) -> str:
    """The SELECT that stands for a state before the first batch (no rows, or one row of NULLs)."""
    cols = ", ".join(f"CAST(NULL AS {c.type}) AS {c.name}" for c in state.columns)
    return f"SELECT {cols}" + (" WHERE false" if state.initial == "empty" else "")


def ddl_schema(columns: Sequence[Column]) -> str:
    """A Spark DDL schema string (`a STRING, b TIMESTAMP`), for spark.read.schema(...) of a state version."""
    return ", ".join(f"{c.name} {c.type}" for c in columns)
