# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Completion helpers: which tables a statement references, and the introspection SQL.

The introspection statements run through the engine like any user query (read-only,
classified, the connection's role), so completion shows only what the role may see.
"""

import re

from sqlglot import TokenType

from ipwb.errors import SqlSyntaxError
from ipwb.sql.split import tokenize

#: relations listed for completion (tables, views, materialized views, partitioned, foreign)
TABLES_SQL = """
SELECT n.nspname::text AS schema_name, c.relname::text AS table_name, c.relkind::text AS kind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_temp%'
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
ORDER BY 1, 2
"""

#: columns of the named relations: "schema.table" exactly, bare names on the search path
COLUMNS_SQL = """
SELECT n.nspname::text, c.relname::text, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped
  AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')
  AND ((n.nspname || '.' || c.relname) = ANY({{qualified}}::text[])
       OR (c.relname = ANY({{bare}}::text[]) AND n.nspname = ANY(pg_catalog.current_schemas(false))))
ORDER BY 1, 2, a.attnum
"""

_AFTER = {"FROM", "JOIN", "UPDATE", "INTO", "TABLE"}
_NAME = r'(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)'
_FALLBACK = re.compile(rf"\b(?:from|join|update|into)\s+({_NAME}(?:\s*\.\s*{_NAME})?)", re.IGNORECASE)


def referenced_tables(sql):
    """Names ("schema.table" or "table") after FROM/JOIN/UPDATE/INTO, commas included.

    Works on statements being typed (no parse needed); unreadable text falls back to a
    pattern.

    >>> referenced_tables('SELECT a. FROM gold.sales s, "Silver".x AS y JOIN dim_date d ON true')
    ['gold.sales', 'Silver.x', 'dim_date']
    """
    try:
        tokens = tokenize(sql)
    except SqlSyntaxError:
        return _dedupe(_unquote(m.group(1)) for m in _FALLBACK.finditer(sql))
    names = []
    index, size = 0, len(tokens)
    while index < size:
        if tokens[index].text.upper() not in _AFTER:
            index += 1
            continue
        index += 1
        while index < size:
            parts, index = _dotted_name(tokens, index)
            if not parts:
                break
            names.append(".".join(parts[-2:]))
            # skip an alias, then go on after a comma (FROM a x, b y)
            while index < size and tokens[index].token_type in (TokenType.VAR, TokenType.ALIAS):
                index += 1
            if index < size and tokens[index].token_type == TokenType.COMMA:
                index += 1
                continue
            break
    return _dedupe(names)


def _dotted_name(tokens, index):
    parts = []
    while index < len(tokens) and tokens[index].token_type in (TokenType.VAR, TokenType.IDENTIFIER):
        parts.append(tokens[index].text)
        index += 1
        if index < len(tokens) and tokens[index].token_type == TokenType.DOT:
            index += 1
            continue
        break
    return parts, index


def _unquote(name):
    return ".".join(part.strip().strip('"') for part in name.split("."))


def _dedupe(names):
    seen = {}
    for name in names:
        seen.setdefault(name)
    return list(seen)
