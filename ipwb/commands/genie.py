"""``ipwb genie eval SET.yaml`` and ``ipwb genie catalog-export``: measure NL→SQL on a warehouse.

The catalog is the warehouse's own: ``--catalog FILE`` (a snapshot written by
``catalog-export``) or, by default, a live introspection of ``--dsn``. Recall@k needs only
the catalog; execution accuracy needs a model (``--models FILE`` with the gateway settings;
API keys come from the environment through ``api_key_env`` so they never sit in files or
process lists) and the warehouse DSN. Each ``--model NAME`` is measured on its own, without
fallbacks (a fallback answering would be measuring another model).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import ConfigurationError
from ipwb.integrations.outbound import OutboundPolicy


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    genie = subparsers.add_parser("genie", help="Genie (LLM) tools: NL→SQL evaluation")
    sub = genie.add_subparsers(dest="genie_command", metavar="SUBCOMMAND")
    sub.required = True
    ev = sub.add_parser("eval", help="retrieval recall@k and execution accuracy of an evaluation set")
    ev.add_argument("set", type=Path, help="evaluation set YAML (see specs/genie/finance_eval.yaml)")
    ev.add_argument("--dsn", help="warehouse DSN (or IPWB_WAREHOUSE_DSN): live catalog and execution")
    ev.add_argument("--catalog", type=Path, help="catalog snapshot from `ipwb genie catalog-export`")
    ev.add_argument("--schemas", help="comma-separated schemas of the live catalog (default: all)")
    ev.add_argument("--k", type=int, default=10, help="tables retrieved per question (default 10)")
    ev.add_argument("--offline", action="store_true", help="only retrieval recall, never call a model")
    ev.add_argument("--models", type=Path, help="gateway settings YAML/JSON (models, prices)")
    ev.add_argument(
        "--model", action="append", default=[], help="name of a model in --models to measure (repeatable)"
    )
    ev.add_argument("--attempts", type=int, default=3, help="generation attempts with repair (default 3)")
    ev.add_argument("--timeout", type=float, default=30.0, help="statement timeout in seconds (default 30)")
    ev.add_argument("--json", action="store_true", help="machine-readable report (CI)")
    ev.add_argument("--verbose", action="store_true", help="one line per question")
    ev.set_defaults(func=run_eval)
    ex = sub.add_parser("catalog-export", help="write the NL→SQL catalog of a live warehouse as YAML")
    ex.add_argument("--dsn", help="warehouse DSN (or IPWB_WAREHOUSE_DSN)")
    ex.add_argument("--schemas", help="comma-separated schemas (default: all)")
    ex.add_argument("--output", "-o", type=Path, help="file to write (default: standard output)")
    ex.set_defaults(func=run_export)


def load_gateway_settings(path: Path | None) -> dict[str, Any] | None:
    """Read gateway settings; ``api_key_env: NAME`` in a model entry is resolved from the environment."""
    if path is None:
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"Cannot read model settings {path}: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"Model settings {path} must be a mapping with a 'models' list")
    settings = dict(data)
    models = []
    for raw in settings.get("models") or []:
        entry = dict(raw)
        env_name = entry.pop("api_key_env", None)
        if env_name:
            if not os.environ.get(env_name):
                raise ConfigurationError(
                    f"Model {entry.get('name') or entry.get('model')}: ${env_name} is not set"
                )
            entry["api_key"] = os.environ[env_name]
        models.append(entry)
    settings["models"] = models
    return settings


def operator_policy(settings: Mapping[str, Any] | None) -> OutboundPolicy:
    """The CLI's outbound policy: the base URLs of the operator's own model file are its
    allow-list (the file is the operator's, not a workbench user's)."""
    models = (settings or {}).get("models") or []
    return OutboundPolicy.from_entries(str(m["api_base"]) for m in models if m.get("api_base"))


def _schemas(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def _dsn(args: argparse.Namespace) -> str | None:
    return args.dsn or os.environ.get("IPWB_WAREHOUSE_DSN") or None


def run_export(args: argparse.Namespace) -> int:
    from ipwb.llm.catalog_export import export_yaml  # noqa: PLC0415
    from ipwb.warehouse.connection import WarehouseConfig  # noqa: PLC0415

    dsn = _dsn(args)
    if not dsn:
        raise ConfigurationError("catalog-export needs --dsn or IPWB_WAREHOUSE_DSN")
    text = export_yaml(WarehouseConfig.from_dsn(dsn), _schemas(args.schemas))
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


def _model_settings(settings: Mapping[str, Any], name: str) -> tuple[dict[str, Any], str]:
    """The settings with ``name`` as the only model (no fallback to another one), and the
    entry's name."""
    entries = [m for m in settings.get("models") or [] if name in (m.get("name"), m.get("model"))]
    if not entries:
        raise ConfigurationError(f"No model named {name!r} in the model settings")
    entry = {k: v for k, v in entries[0].items() if k != "fallbacks"}
    return {**settings, "models": [entry]}, str(entry.get("name") or entry["model"])


def run_eval(args: argparse.Namespace) -> int:
    # Imported here so `ipwb --help` stays fast and works without the LLM extras.
    from ipwb.llm import evaluate as evaluation  # noqa: PLC0415
    from ipwb.llm.catalog import Catalog  # noqa: PLC0415
    from ipwb.llm.catalog_export import live_catalog  # noqa: PLC0415
    from ipwb.warehouse.connection import WarehouseConfig  # noqa: PLC0415

    if args.k < 1 or args.attempts < 1 or args.timeout <= 0:
        raise ConfigurationError("--k and --attempts must be at least 1 and --timeout positive")
    eval_set = evaluation.load_eval_set(args.set)
    dsn = _dsn(args)
    if args.catalog:
        catalog = Catalog.load(args.catalog)
    elif dsn:
        catalog = live_catalog(WarehouseConfig.from_dsn(dsn), _schemas(args.schemas))
    else:
        raise ConfigurationError("The catalog comes from the warehouse: pass --dsn or --catalog FILE")
    reports = _reports(args, eval_set, catalog, dsn)
    if args.json:
        payload: Any = [r.to_json() for r in reports]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, indent=2, default=str))
        return 0
    for report in reports:
        if args.verbose:
            for result in report.results:
                verdict = {None: "-", True: "ok", False: "WRONG"}[result.correct]
                line = f"{result.case.id:10} recall={result.recall:.2f} {verdict}"
                if result.reason is not None and not result.reason.right:
                    line += f" [{result.reason.value}] {result.detail[:120]}"
                print(line)
        print(report.table())
        print()
    return 0


def _reports(args: argparse.Namespace, eval_set: Any, catalog: Any, dsn: str | None) -> list[Any]:
    """One report per measured model, or one recall-only report saying why nothing ran."""
    from ipwb.llm import evaluate as evaluation  # noqa: PLC0415
    from ipwb.llm.gateway import Gateway  # noqa: PLC0415
    from ipwb.llm.nl2sql import Nl2Sql  # noqa: PLC0415
    from ipwb.llm.readonly import readonly_executor  # noqa: PLC0415

    settings = None if args.offline else load_gateway_settings(args.models)
    skipped = ""
    if args.offline:
        skipped = "offline"
    elif not settings or not settings.get("models"):
        skipped = "No LLM model configured (pass --models FILE)"
    elif not dsn:
        skipped = "no warehouse DSN (pass --dsn or set IPWB_WAREHOUSE_DSN)"
    if skipped or settings is None or dsn is None:
        report = evaluation.run_eval(eval_set, catalog, k=args.k)
        report.execution_skipped = skipped
        return [report]
    executor = readonly_executor(dsn, timeout_s=args.timeout)
    first = settings["models"][0]
    reports = []
    for name in args.model or [str(first.get("name") or first["model"])]:
        one, entry_name = _model_settings(settings, name)
        gateway = Gateway.from_data(one, outbound=operator_policy(one))
        nl2sql = Nl2Sql(catalog, gateway, k=args.k, max_attempts=args.attempts)
        reports.append(
            evaluation.run_eval(
                eval_set, catalog, k=args.k, nl2sql=nl2sql, executor=executor, model=entry_name
            )
        )
    return reports
