"""Data-quality check specs and the SQL Guardian generates for them.

Every statement is a ``psycopg2.sql`` composition (identifiers and literals quoted by the
driver, never formatted into text), and every one is read-only: a *measure* query returns
``(total, failed)`` plus the observed value, a *sample* query returns at most ``limit``
failing rows. Custom SQL is the author's own query returning the failing rows; it must be
one read-only ``SELECT`` (checked with :func:`ipwb.sql.classify.classify`) and is wrapped,
never concatenated with anything else.

Dimensions (for scores): not_null → completeness, unique → uniqueness, accepted_values →
validity, relationships → consistency, freshness → timeliness, volume → completeness,
custom_sql → validity (each overridable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg2 import sql

from ipwb.errors import SpecError
from ipwb.sql.classify import StatementKind, classify

CHECK_TYPES: tuple[str, ...] = (
    "not_null",
    "unique",
    "accepted_values",
    "relationships",
    "freshness",
    "volume",
    "custom_sql",
)
DIMENSIONS: tuple[str, ...] = ("completeness", "uniqueness", "consistency", "validity", "timeliness")
DEFAULT_DIMENSION = {
    "not_null": "completeness",
    "unique": "uniqueness",
    "accepted_values": "validity",
    "relationships": "consistency",
    "freshness": "timeliness",
    "volume": "completeness",
    "custom_sql": "validity",
}
COLUMN_CHECKS = frozenset({"not_null", "unique", "accepted_values", "relationships", "freshness"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
#: failed-row samples are capped at this many rows
DEFAULT_SAMPLE_LIMIT = 20


@dataclass(frozen=True)
class CheckSpec:
    """A check on ``schema.table`` (``column`` for column checks).

    ``params`` by type: accepted_values ``values``; relationships ``to`` (schema.table) and
    ``field``; freshness ``max_age_hours`` (the SLO); volume ``history`` (recent row counts),
    ``max_z`` (default 3) and ``max_change_pct`` (default 50); custom_sql ``sql``.
    """

    name: str
    table: str
    check_type: str
    column: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "error"
    blocking: bool = True
    dimension: str = ""

    def __post_init__(self) -> None:
        problems = validate_check(self)
        if problems:
            raise SpecError(f"check {self.name!r} is invalid", problems)
        if not self.dimension:
            object.__setattr__(self, "dimension", DEFAULT_DIMENSION[self.check_type])

    @property
    def schema_table(self) -> tuple[str, str]:
        schema, table = self.table.split(".", 1)
        return schema, table


def _ident_ok(value: object) -> bool:
    return isinstance(value, str) and bool(_IDENT.match(value))


def validate_check(check: CheckSpec) -> list[str]:
    """Every problem of a check spec (empty when it can be generated)."""
    problems: list[str] = []
    if check.check_type not in CHECK_TYPES:
        return [f"unknown check type {check.check_type!r}; use one of {', '.join(CHECK_TYPES)}"]
    parts = check.table.split(".")
    if len(parts) != 2 or not all(_ident_ok(p) for p in parts):
        problems.append(f"table {check.table!r} must be schema.table")
    if check.check_type in COLUMN_CHECKS and not _ident_ok(check.column):
        problems.append(f"a {check.check_type} check needs a column name, got {check.column!r}")
    if check.dimension and check.dimension not in DIMENSIONS:
        problems.append(f"unknown dimension {check.dimension!r}; use one of {', '.join(DIMENSIONS)}")
    p = check.params
    if check.check_type == "accepted_values" and not (
        isinstance(p.get("values"), Sequence) and p.get("values")
    ):
        problems.append("accepted_values needs a non-empty list `values`")
    if check.check_type == "relationships":
        to = str(p.get("to", "")).split(".")
        if len(to) != 2 or not all(_ident_ok(x) for x in to) or not _ident_ok(p.get("field")):
            problems.append("relationships needs `to` (schema.table) and `field` (column)")
    if check.check_type == "freshness" and not _positive(p.get("max_age_hours")):
        problems.append("freshness needs `max_age_hours` (the SLO), a positive number")
    if check.check_type == "custom_sql":
        problems += _custom_sql_problems(p.get("sql"))
    return problems


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _custom_sql_problems(text: object) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return ["custom_sql needs `sql`: a SELECT returning the failing rows"]
    classification = classify(text)
    if classification.kind != StatementKind.QUERY or not classification.is_read_only:
        reasons = "; ".join(r.message for r in classification.reasons) or f"it is {classification.kind.value}"
        return [f"custom_sql must be one read-only SELECT: {reasons}"]
    return []


@dataclass(frozen=True)
class GeneratedSql:
    """The measure query (one row: total, failed, observed) and the sample query."""

    measure: sql.Composable
    sample: sql.Composable | None


def _table(name: str) -> sql.Composable:
    schema, table = name.split(".", 1)
    return sql.Identifier(schema, table)


#: PostgreSQL 15+ looks a value up in a ``NOT IN`` list of at least this many elements through
#: a hash table built once per statement (``MIN_ARRAY_SIZE_FOR_HASHED_SAOP``); a shorter list
#: is compared element by element on every row
HASHED_IN_LIST = 9


def accepted_list(values: Sequence[Any]) -> list[str]:
    """The accepted values as the ``NOT IN`` list Guardian sends: text, without repeats, and a
    list of 2 to 8 values padded to :data:`HASHED_IN_LIST` entries by repeating the last one
    (the same set, but hashed: at 10M rows a 3-value list costs half the CPU that way).
    A single value stays one plain comparison.

    >>> accepted_list(["a", "b", "a"])
    ['a', 'b', 'b', 'b', 'b', 'b', 'b', 'b', 'b']
    >>> accepted_list([1]), len(accepted_list(range(12)))
    (['1'], 12)
    """
    distinct = list(dict.fromkeys(str(v) for v in values))
    if 1 < len(distinct) < HASHED_IN_LIST:
        distinct += [distinct[-1]] * (HASHED_IN_LIST - len(distinct))
    return distinct


def not_accepted(c: sql.Composable, values: Sequence[Any]) -> sql.Composable:
    """The predicate of a row whose value is set and not one of ``values`` (compared as text;
    PostgreSQL 15 and later hash a ``NOT IN`` list, 14 only an ``IN`` list)."""
    listed = sql.SQL(", ").join(sql.Literal(v) for v in accepted_list(values))
    return sql.SQL("{c} IS NOT NULL AND CAST({c} AS text) NOT IN ({v})").format(c=c, v=listed)


def generate(  # noqa: PLR0911 - one return per check type
    check: CheckSpec, *, sample_limit: int = DEFAULT_SAMPLE_LIMIT
) -> GeneratedSql:
    """The SQL of a check (see the module doc for the shape of each query)."""
    t = _table(check.table)
    c = sql.Identifier(check.column) if check.column else None
    limit = sql.Literal(sample_limit)
    kind = check.check_type
    if kind == "not_null":
        assert c is not None
        return GeneratedSql(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE {c} IS NULL), NULL FROM {t}").format(c=c, t=t),
            sql.SQL("SELECT * FROM {t} WHERE {c} IS NULL LIMIT {n}").format(c=c, t=t, n=limit),
        )
    if kind == "unique":
        assert c is not None
        groups = sql.SQL(
            "SELECT {c}, count(*) AS occurrences FROM {t} WHERE {c} IS NOT NULL "
            "GROUP BY {c} HAVING count(*) > 1"
        ).format(c=c, t=t)
        return GeneratedSql(
            sql.SQL(
                "SELECT (SELECT count(*) FROM {t} WHERE {c} IS NOT NULL), "
                "(SELECT coalesce(sum(d.occurrences), 0) FROM ({g}) AS d), NULL"
            ).format(t=t, c=c, g=groups),
            sql.SQL("{g} ORDER BY count(*) DESC, 1 LIMIT {n}").format(g=groups, n=limit),
        )
    if kind == "accepted_values":
        assert c is not None
        bad = not_accepted(c, check.params["values"])
        return GeneratedSql(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE {bad}), NULL FROM {t}").format(bad=bad, t=t),
            sql.SQL("SELECT * FROM {t} WHERE {bad} LIMIT {n}").format(t=t, bad=bad, n=limit),
        )
    if kind == "relationships":
        assert c is not None
        parent, pc = _table(check.params["to"]), sql.Identifier(check.params["field"])
        orphan = sql.SQL(
            "{c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{pc} = child.{c})"
        ).format(c=c, parent=parent, pc=pc)
        return GeneratedSql(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE {o}), NULL FROM {t} AS child").format(
                o=orphan, t=t
            ),
            sql.SQL("SELECT child.* FROM {t} AS child WHERE {o} LIMIT {n}").format(t=t, o=orphan, n=limit),
        )
    if kind == "freshness":
        assert c is not None
        age = sql.SQL("extract(epoch FROM (now() - max(CAST({c} AS timestamptz)))) / 3600.0").format(c=c)
        return GeneratedSql(
            sql.SQL(
                "SELECT 1, CASE WHEN max({c}) IS NULL OR {age} > {slo} THEN 1 ELSE 0 END, {age} FROM {t}"
            ).format(c=c, age=age, slo=sql.Literal(float(check.params["max_age_hours"])), t=t),
            sql.SQL("SELECT max({c}) AS latest, {age} AS age_hours, count(*) AS row_count FROM {t}").format(
                c=c, age=age, t=t
            ),
        )
    if kind == "volume":
        return GeneratedSql(sql.SQL("SELECT 1, 0, count(*) FROM {t}").format(t=t), None)
    # custom_sql: the author's read-only query returns the failing rows
    custom = sql.SQL(check.params["sql"].strip().rstrip(";"))
    return GeneratedSql(
        sql.SQL("SELECT (SELECT count(*) FROM {t}), (SELECT count(*) FROM ({q}) AS failing), NULL").format(
            t=t, q=custom
        ),
        sql.SQL("SELECT * FROM ({q}) AS failing LIMIT {n}").format(q=custom, n=limit),
    )


def checks_from_data(data: Any) -> list[CheckSpec]:
    """Checks from plain data: ``[{name, table, type, column?, params…, severity?, blocking?}]``.

    Keys other than the fixed ones become ``params`` (``values``, ``to``, ``field`` …).
    """
    items = data.get("checks") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise SpecError("checks must be a list (or a mapping with a `checks` list)")
    fixed = {"name", "table", "type", "check_type", "column", "severity", "blocking", "dimension"}
    checks: list[CheckSpec] = []
    problems: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(f"checks[{index}]: a check is a mapping")
            continue
        try:
            checks.append(
                CheckSpec(
                    name=str(item.get("name") or f"check_{index + 1}"),
                    table=str(item.get("table", "")),
                    check_type=str(item.get("type") or item.get("check_type", "")),
                    column=item.get("column"),
                    params={k: v for k, v in item.items() if k not in fixed},
                    severity=str(item.get("severity", "error")),
                    blocking=bool(item.get("blocking", True)),
                    dimension=str(item.get("dimension") or ""),
                )
            )
        except SpecError as exc:
            problems += [f"checks[{index}]: {p}" for p in exc.problems]
    if problems:
        raise SpecError("invalid checks", problems)
    return checks


__all__ = [
    "CHECK_TYPES",
    "DEFAULT_SAMPLE_LIMIT",
    "DIMENSIONS",
    "HASHED_IN_LIST",
    "CheckSpec",
    "GeneratedSql",
    "accepted_list",
    "checks_from_data",
    "generate",
    "not_accepted",
    "validate_check",
]
