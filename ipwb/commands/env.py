"""``ipwb env``: report which optional components the engine can use here."""

from __future__ import annotations

import argparse
import importlib.util
import json

OPTIONAL_MODULES = ("sqlglot", "yaml", "jsonschema", "psycopg2", "litellm", "dbt", "neo4j", "langfuse")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("env", help="list the optional components available to the engine")
    parser.set_defaults(func=run)


def available_components() -> dict[str, bool]:
    """Which optional Python components can be imported (without importing them).

    >>> "sqlglot" in available_components()
    True
    """
    return {name: importlib.util.find_spec(name) is not None for name in OPTIONAL_MODULES}


def run(args: argparse.Namespace) -> int:
    print(json.dumps(available_components(), indent=2, sort_keys=True))
    return 0
