"""Steps 1–4 of the cycle: syntax, type, lint, security. They read specs only (no warehouse).

Conventions checked (documented in the Guardian readme):

* **naming by layer** — a table of layer ``L`` lives in schema ``L`` and is named ``L_…``
  (``silver.silver_sales``); a step's ``target`` follows the same rule. A domain spec may
  declare ``table_prefix`` (``fin_``): the tables it lists are then named ``L.<prefix>…``
  instead (``gold.fin_vat_2550q``; the schema is still the layer), and so may the step
  targets of a pipeline declaring that domain; other domains' tables keep ``L_…``;
* **SQL style** — no ``SELECT *`` into silver/gold/platinum, every table reference is
  schema-qualified (a layer schema), no comma (implicit cross) joins;
* **security** — a step writes only into the layer of its declared ``target``, and only its
  declared ``target``/``targets`` (no schemas, roles, grants, functions …: G406); a PII column
  of a gold/platinum table declares ``masking``; a ``restricted`` table declares
  ``access.grants`` or ``access.rls``; forbidden constructs (file/program access …) never.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlglot import exp

from ipwb.guardian.context import Context, SqlSource, problem_finding
from ipwb.guardian.rules import Finding
from ipwb.guardian.types import DATE_NAME, INSTANT_NAME, family, is_amount_name, value_fits
from ipwb.specs.kinds import LAYERS, declared_targets
from ipwb.specs.model import TableSpec
from ipwb.specs.validate import SpecFile
from ipwb.sql.classify import classify
from ipwb.sql.reasons import ReasonCode
from ipwb.sql.write_scope import ScopeCode, check_write_scope

EXPOSED_LAYERS = ("gold", "platinum")


def _sql_sources(ctx: Context) -> Iterator[SqlSource]:
    return (s for s in ctx.sql_sources() if isinstance(s, SqlSource))


def _parsed(ctx: Context, source: SqlSource) -> list[exp.Expr]:
    """The step's statements (none when it does not parse: that is the syntax step's finding)."""
    return ctx.parsed(source)[0] or []


# -- 1 syntax -----------------------------------------------------------------------------
def spec_syntax(ctx: Context) -> Iterator[Finding]:
    """YAML syntax, JSON Schema and spec semantics (ipwb.specs), cross-file references."""
    return (problem_finding(p) for p in ctx.spec_problems)


def sql_parses(ctx: Context) -> Iterator[Finding]:
    for source in _sql_sources(ctx):
        error = ctx.parsed(source)[1]
        if error is not None:
            yield source.finding(error.line, error.col, f"step {source.step.id!r}: {error}")


def sql_file_exists(ctx: Context) -> Iterator[Finding]:
    return (s for s in ctx.sql_sources() if isinstance(s, Finding))


# -- 2 type -------------------------------------------------------------------------------
def naming_types(ctx: Context) -> Iterator[Finding]:
    """Amounts are numeric (exact), ``*_date`` columns are dates, ``*_at`` instants."""
    for spec_file, table in ctx.tables():
        for index, column in enumerate(table.columns):
            kind = family(column.type)
            path = ("columns", index, "type")
            if is_amount_name(column.name) and kind in ("float", "text", "integer"):
                yield ctx.at(
                    spec_file,
                    path,
                    f"column {column.name!r} holds an amount: declare numeric(p, s), not {column.type!r}",
                )
            elif DATE_NAME.search(column.name) and kind not in ("date", "timestamp", "timestamptz"):
                yield ctx.at(
                    spec_file, path, f"column {column.name!r} holds a date: declare date, not {column.type!r}"
                )
            elif INSTANT_NAME.search(column.name) and kind not in ("timestamp", "timestamptz", "date"):
                yield ctx.at(
                    spec_file,
                    path,
                    f"column {column.name!r} holds an instant: declare timestamptz, not {column.type!r}",
                )


def typed_test_values(ctx: Context) -> Iterator[Finding]:
    """Accepted values fit the column type; relationships point at a compatible column."""
    tables = ctx.table_specs()
    for spec_file, table in ctx.tables():
        for index, column in enumerate(table.columns):
            kind = family(column.type)
            for position, test in enumerate(column.tests):
                path = ("columns", index, "tests", position, test.name)
                if test.name == "accepted_values":
                    for v_index, value in enumerate(test.args.get("values", [])):
                        if not value_fits(value, kind):
                            yield ctx.at(
                                spec_file,
                                (*path, "values", v_index),
                                f"column {column.name!r}: accepted value {value!r} is not a valid {kind}",
                            )
                if test.name == "relationships" and test.args.get("to") in tables:
                    parent = tables[test.args["to"]]
                    types = {c.name: c.type for c in parent.columns}
                    field_name = test.args.get("field")
                    if field_name not in types:
                        yield ctx.at(
                            spec_file,
                            (*path, "field"),
                            f"{parent.qualified_name} has no column {field_name!r}",
                        )
                    elif family(types[field_name]) != kind:
                        yield ctx.at(
                            spec_file,
                            (*path, "field"),
                            f"column {column.name!r} ({column.type}) refers to {parent.qualified_name}."
                            f"{field_name} ({types[field_name]}): types differ",
                        )


def catalog_types(ctx: Context) -> Iterator[Finding]:
    """Declared columns exist in the catalog with a type of the same family."""
    if ctx.catalog is None:
        return
    for spec_file, table in ctx.tables():
        actual = ctx.catalog.get(table.qualified_name)
        if actual is None:
            yield ctx.at(spec_file, ("name",), f"table {table.qualified_name} is not in the catalog")
            continue
        for index, column in enumerate(table.columns):
            if column.name not in actual:
                yield ctx.at(
                    spec_file,
                    ("columns", index, "name"),
                    f"column {column.name!r} is not in {table.qualified_name}",
                )
            elif family(actual[column.name]) != family(column.type):
                yield ctx.at(
                    spec_file,
                    ("columns", index, "type"),
                    f"column {column.name!r} is declared {column.type!r} "
                    f"but the catalog has {actual[column.name]!r}",
                )


# -- 3 lint -------------------------------------------------------------------------------
def layer_naming(ctx: Context) -> Iterator[Finding]:
    """``<layer>.<layer>_…``, or ``<layer>.<table_prefix>…`` for a table of a domain declaring one."""
    listed: dict[str, list[str]] = {}  # qualified table → table_prefix of the domains listing it
    by_domain: dict[str, str] = {}  # domain → its table_prefix
    for _, domain in ctx.domains():
        if domain.table_prefix:
            by_domain[domain.name] = domain.table_prefix
            for qualified in domain.tables:
                listed.setdefault(qualified, []).append(domain.table_prefix)
    for spec_file, table in ctx.tables():
        prefixes = listed.get(table.qualified_name, [])
        if not table.name.startswith((f"{table.layer}_", *prefixes)):
            yield ctx.at(
                spec_file,
                ("name",),
                f"table {table.name!r} of layer {table.layer} must be named {table.layer}_… or "
                + (
                    " or ".join(f"{p}…" for p in prefixes) + " (table_prefix of its domain)"
                    if prefixes
                    else "<table_prefix>… when listed by a domain declaring table_prefix"
                ),
            )
    for spec_file, pipeline in ctx.pipelines():
        prefix = by_domain.get(pipeline.domain, "")
        for index, step in enumerate(pipeline.steps):
            for where, target in _named_tables(step.config):
                if not isinstance(target, str) or "." not in target:
                    continue
                layer, name = target.split(".", 1)
                if name.startswith(f"{layer}_") or (prefix and name.startswith(prefix)):
                    continue
                other = (
                    f"{layer}.{prefix}… (table_prefix of domain {pipeline.domain!r})"
                    if prefix
                    else f"{layer}.<table_prefix>… when the pipeline's domain declares table_prefix"
                )
                yield ctx.at(
                    spec_file,
                    ("steps", index, "config", *where),
                    f"step {step.id!r}: {target} must be named {layer}.{layer}_… (layer prefix) or {other}",
                )


def _named_tables(config: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], object]]:
    """The tables a step's config names, with their path in it: ``target`` (else ``table``),
    and each of a layer gate's ``tables``."""
    named: list[tuple[tuple[str | int, ...], object]] = []
    if config.get("target"):
        named.append((("target",), config["target"]))
    elif config.get("table"):
        named.append((("table",), config["table"]))
    tables = config.get("tables")
    if isinstance(tables, list):
        named += [(("tables", i), table) for i, table in enumerate(tables)]
    return named


def sql_style(ctx: Context) -> Iterator[Finding]:
    for source in _sql_sources(ctx):
        target = str(source.step.config.get("target", ""))
        for tree in _parsed(ctx, source):
            for star in tree.find_all(exp.Star):
                if isinstance(star.parent, exp.Select | exp.Column) and target.split(".", maxsplit=1)[0] in (
                    "silver",
                    *EXPOSED_LAYERS,
                ):
                    yield source.finding(
                        *_pos(star), f"step {source.step.id!r}: list the columns, not SELECT *"
                    )
            for table in tree.find_all(exp.Table):
                if table.name and not table.db and not isinstance(table.parent, exp.Schema | exp.Insert):
                    yield source.finding(
                        *_pos(table),
                        f"step {source.step.id!r}: qualify table {table.name!r} with its layer schema",
                    )
            for join in tree.find_all(exp.Join):
                if not any(join.args.get(k) for k in ("on", "using", "kind", "side", "method")):
                    yield source.finding(
                        *_pos(join), f"step {source.step.id!r}: write an explicit JOIN … ON, not a comma join"
                    )


def _pos(node: exp.Expr) -> tuple[int | None, int | None]:
    """Start line/column (1-based) of the earliest identifier or ``*`` in ``node``.

    sqlglot keeps, per token, the line and the column of its *last* character.
    """
    starts = []
    for candidate in (node, *node.find_all(exp.Identifier, exp.Star)):
        meta = candidate.meta if candidate.meta else {}
        if "line" in meta and "col" in meta:
            width = len(str(candidate.this)) if isinstance(candidate, exp.Identifier) else 1
            starts.append((int(meta["line"]), max(int(meta["col"]) - width + 1, 1)))
    return min(starts) if starts else (None, None)


# -- 4 security ---------------------------------------------------------------------------
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create)


def _written(tree: exp.Expr) -> exp.Table | None:
    """The table a write statement writes (None for a query)."""
    if not isinstance(tree, _WRITES):
        return None
    target = tree.this
    if isinstance(target, exp.Schema):
        target = target.this
    return target if isinstance(target, exp.Table) else None


def writes_in_target_layer(ctx: Context) -> Iterator[Finding]:
    for source in _sql_sources(ctx):
        target = str(source.step.config.get("target", ""))
        target_layer = target.split(".", 1)[0]
        written = [t for tree in _parsed(ctx, source) if (t := _written(tree)) is not None]
        layers = {t.db for t in written}
        if not target and len(layers) > 1:
            yield source.finding(
                *_pos(written[0]),
                f"step {source.step.id!r} writes into several layers ({', '.join(sorted(layers))}): "
                "declare a target",
            )
        for table in written:
            name = f"{table.db}.{table.name}" if table.db else table.name
            if table.db not in LAYERS:
                yield source.finding(
                    *_pos(table), f"step {source.step.id!r} writes {name}, outside the warehouse layers"
                )
            elif target and table.db != target_layer:
                yield source.finding(
                    *_pos(table),
                    f"step {source.step.id!r} writes {name} outside its target layer {target_layer} "
                    f"(target {target})",
                )


#: classification findings that are not about security (a script of several statements is
#: fine in a pipeline step; parse errors are the syntax step's)
_NOT_SECURITY = frozenset(
    {ReasonCode.PARSE_ERROR, ReasonCode.MULTIPLE_STATEMENTS, ReasonCode.EMPTY, ReasonCode.UNKNOWN_STATEMENT}
)


def forbidden_sql(ctx: Context) -> Iterator[Finding]:
    for source in _sql_sources(ctx):
        for reason in classify(source.checkable).reasons:
            if reason.forbidden and reason.code not in _NOT_SECURITY:
                yield source.finding(reason.line, reason.col, f"step {source.step.id!r}: {reason.message}")


def writes_within_declared_targets(ctx: Context) -> Iterator[Finding]:
    """Every write of a step is one of its declared targets (``target``/``targets``) in a
    writable layer, and it runs no statement a pipeline may not run (ipwb.sql.write_scope,
    the same check the Odoo Validate button and the run make). Parse errors are G102's."""
    for source in _sql_sources(ctx):
        unparsed = ctx.parsed(source)[1] is not None
        for problem in check_write_scope(source.text, declared_targets(source.step.config)):
            if unparsed and problem.code in (ScopeCode.PARSE_ERROR, ReasonCode.PARSE_ERROR):
                continue
            yield source.finding(
                problem.line,
                problem.col,
                f"step {source.step.id!r}: {problem.message} [{problem.code.value}]",
            )


def _unmasked_pii(ctx: Context, exposed: bool) -> Iterator[tuple[SpecFile, TableSpec, int, str]]:
    """PII columns without masking, in gold/platinum (``exposed``) or in unrestricted other tables."""
    for spec_file, table in ctx.tables():
        if (table.layer in EXPOSED_LAYERS) != exposed or (not exposed and table.restricted):
            continue
        for index, column in enumerate(table.columns):
            if column.pii and not column.masking:
                yield spec_file, table, index, column.name


def pii_masked(ctx: Context) -> Iterator[Finding]:
    for spec_file, table, index, name in _unmasked_pii(ctx, exposed=True):
        yield ctx.at(
            spec_file,
            ("columns", index, "pii"),
            f"PII column {name!r} is exposed in {table.layer}: declare masking "
            "(hash, redact, partial or null)",
        )


def access_declared(ctx: Context) -> Iterator[Finding]:
    for spec_file, table in ctx.tables():
        access = table.access
        if table.restricted and not (access and (access.grants or access.rls)):
            yield ctx.at(
                spec_file,
                ("restricted",),
                f"restricted table {table.qualified_name} declares no access.grants nor access.rls",
            )


def pii_unrestricted(ctx: Context) -> Iterator[Finding]:
    for spec_file, table, index, name in _unmasked_pii(ctx, exposed=False):
        yield ctx.at(
            spec_file,
            ("columns", index, "pii"),
            f"PII column {name!r} in an unrestricted {table.layer} table: restrict the table or mask it",
        )
