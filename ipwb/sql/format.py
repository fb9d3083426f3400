"""Pretty-format SQL and transpile it between dialects (sqlglot).

Formatting goes through the same splitter/parser as classification, so a statement the
editor cannot format is reported with the same line/column the classifier would give.
sqlglot normalises as it prints (``now()`` → ``CURRENT_TIMESTAMP``, keywords upper case);
statements it keeps as raw commands (EXPLAIN, DO …) are printed unchanged.
"""

from __future__ import annotations

from sqlglot import ErrorLevel, exp
from sqlglot.dialects.dialect import Dialect, Dialects
from sqlglot.errors import SqlglotError, UnsupportedError

from ipwb.errors import ConfigurationError, SqlSyntaxError
from ipwb.sql.params import convert, unmark
from ipwb.sql.split import DIALECT, parse_tokens, split_statements


def format_sql(sql: str, *, dialect: str = DIALECT, pretty: bool = True) -> str:
    """Each statement pretty-printed, separated by a blank line, each ending with ``;``.

    >>> print(format_sql("select a,b from t where a=1; select 2"))
    SELECT
      a,
      b
    FROM t
    WHERE
      a = 1;
    <BLANKLINE>
    SELECT
      2;
    """
    return transpile_sql(sql, read=dialect, write=dialect, pretty=pretty)


def transpile_sql(sql: str, *, read: str = DIALECT, write: str = DIALECT, pretty: bool = True) -> str:
    """``sql`` written in dialect ``read``, rewritten for dialect ``write``.

    Constructs the target dialect cannot express raise :class:`SqlSyntaxError` rather
    than being silently dropped. ``{{name}}`` parameters survive.

    >>> transpile_sql("SELECT TOP 3 a FROM t WHERE b = {{b}}", read="tsql", write="postgres", pretty=False)
    'SELECT a FROM t WHERE b = {{b}} LIMIT 3;'
    >>> transpile_sql("SELECT 1", write="klingon")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: Unknown SQL dialect 'klingon' (known: ...)
    """
    source, target = _dialect(read), _dialect(write)
    trees = _parse_all(convert(sql).marked, source)
    parts: list[str] = []
    for tree in trees:
        try:
            parts.append(target.generate(tree, pretty=pretty, unsupported_level=ErrorLevel.RAISE) + ";")
        except UnsupportedError as exc:
            raise SqlSyntaxError(f"Cannot express this statement in {write}: {exc}") from None
    return unmark(("\n\n" if pretty else "\n").join(parts))


def _parse_all(sql: str, dialect: Dialect) -> list[exp.Expr]:
    if isinstance(dialect, type(Dialect.get_or_raise(DIALECT))):
        return [parse_tokens(sql, statement.tokens) for statement in split_statements(sql)]
    try:  # other dialects: sqlglot splits and reports positions itself
        return [tree for tree in dialect.parse(sql) if tree is not None]
    except SqlglotError as exc:
        raise SqlSyntaxError(f"Syntax error: {str(exc).splitlines()[0]}") from None


def _dialect(name: str) -> Dialect:
    try:
        return Dialect.get_or_raise(name)
    except ValueError:
        known = ", ".join(_known_dialects())
        raise ConfigurationError(f"Unknown SQL dialect {name!r} (known: {known})") from None


def _known_dialects() -> list[str]:
    return sorted(str(d.value) for d in Dialects if d.value)
