"""Prompt texts, kept apart from the loops that use them so they can be reviewed and tuned.

Each builder returns OpenAI-format messages. Schema text is compact DDL (what models have
seen most of) with descriptions as comments, foreign keys inline: enough to join correctly
and short enough for dozens of tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ipwb.llm.catalog import Table

Message = dict[str, Any]

NL2SQL_SYSTEM = (
    "You write PostgreSQL queries for a data warehouse. Answer with exactly one read-only "
    "SELECT statement in a ```sql fenced block and nothing else. Use only the tables and "
    "columns listed in the schema, always qualified with their schema (e.g. gold.table), and "
    "give computed columns clear aliases. If the question cannot be answered from the schema, "
    "write the closest query and explain in an SQL comment."
)

REPAIR_TEMPLATE = (
    "That query is invalid: {error}\n"
    "Return a corrected query, again as one SELECT statement in a ```sql block, using only the "
    "tables and columns of the schema."
)

PIPELINE_SYSTEM = (
    "You write data pipeline specifications in YAML for the InsightPulse Workbench. Answer with "
    "one YAML document in a ```yaml fenced block and nothing else. Steps move data from bronze "
    "to silver to gold; each step has a unique name, a kind, the SQL or model it runs, and the "
    "steps it depends on. The pipeline is created as a draft: never mark it as production."
)

DQ_SYSTEM = (
    "You are a data quality analyst. Summarise the failing checks of a scorecard for a "
    "finance manager: the three most important problems first, their likely cause, and the next "
    "action for each. Be concise (at most 8 bullet points); do not invent numbers."
)

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[ \t]*\n(.*?)```", re.DOTALL)


def table_ddl(table: Table) -> str:
    """One table as commented DDL, FKs inline."""
    refs = {
        col: f"{fk.references}({ref})"
        for fk in table.foreign_keys
        for col, ref in zip(fk.columns, fk.ref_columns, strict=False)
    }
    lines = [f"-- {table.description}" if table.description else f"-- {table.qualified}"]
    lines.append(f"TABLE {table.qualified} (")
    for i, column in enumerate(table.columns):
        comma = "," if i < len(table.columns) - 1 else ""
        ref = f" REFERENCES {refs[column.name]}" if column.name in refs else ""
        note = f"  -- {column.description}" if column.description else ""
        lines.append(f"  {column.name} {column.type}{ref}{comma}{note}")
    lines.append(")")
    return "\n".join(lines)


def schema_text(tables: Iterable[Table]) -> str:
    return "\n\n".join(table_ddl(t) for t in tables)


def nl2sql_messages(question: str, tables: Iterable[Table], hints: str = "") -> list[Message]:
    user = f"Schema:\n{schema_text(tables)}\n\n"
    if hints:
        user += f"Notes:\n{hints}\n\n"
    user += f"Question: {question}"
    return [{"role": "system", "content": NL2SQL_SYSTEM}, {"role": "user", "content": user}]


def repair_messages(previous: list[Message], answer: str, error: str) -> list[Message]:
    """The conversation so far, the faulty answer, and the error to fix."""
    return [
        *previous,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": REPAIR_TEMPLATE.format(error=error)},
    ]


def extract_block(text: str, languages: tuple[str, ...]) -> str:
    """The first fenced block in one of ``languages`` (or unlabelled); else the whole text."""
    for match in _FENCE.finditer(text):
        if match.group(1).lower() in (*languages, ""):
            return match.group(2).strip()
    return text.strip()


def pipeline_messages(description: str, example_spec: str = "", catalog_text: str = "") -> list[Message]:
    user = f"Describe this pipeline as a spec:\n{description}\n"
    if catalog_text:
        user += f"\nAvailable tables:\n{catalog_text}\n"
    if example_spec:
        user += f"\nFollow the format of this example spec:\n```yaml\n{example_spec.strip()}\n```\n"
    return [{"role": "system", "content": PIPELINE_SYSTEM}, {"role": "user", "content": user}]


def dq_messages(scorecard: Mapping[str, Any]) -> list[Message]:
    body = json.dumps(scorecard, indent=1, sort_keys=True, default=str)
    return [
        {"role": "system", "content": DQ_SYSTEM},
        {"role": "user", "content": f"Scorecard (JSON):\n{body}"},
    ]
