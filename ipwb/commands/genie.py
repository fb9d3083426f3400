"""``ipwb genie eval SET.yaml``: measure NL→SQL on a question → gold SQL set.

Recall@k is always printed (no model needed, so CI can track it). Execution accuracy runs
when a model is configured (``--models FILE`` with the gateway settings; API keys come from
the environment through ``api_key_env`` so they never sit in files or process lists) and a
warehouse DSN is given, unless ``--offline``.
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
    ev.add_argument("--dsn", help="warehouse DSN for execution accuracy (or IPWB_WAREHOUSE_DSN)")
    ev.add_argument("--k", type=int, default=10, help="tables retrieved per question (default 10)")
    ev.add_argument("--offline", action="store_true", help="only retrieval recall, never call a model")
    ev.add_argument("--models", type=Path, help="gateway settings YAML/JSON (models, fallbacks, prices)")
    ev.add_argument("--verbose", action="store_true", help="one line per question")
    ev.set_defaults(func=run_eval)


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


def run_eval(args: argparse.Namespace) -> int:
    # Imported here so `ipwb --help` stays fast and works without the LLM extras.
    from ipwb.llm import evaluate as evaluation  # noqa: PLC0415
    from ipwb.llm.gateway import Gateway  # noqa: PLC0415
    from ipwb.llm.nl2sql import Nl2Sql  # noqa: PLC0415
    from ipwb.llm.readonly import readonly_executor  # noqa: PLC0415

    if args.k < 1:
        raise ConfigurationError("--k must be at least 1")
    eval_set = evaluation.load_eval_set(args.set)
    nl2sql = executor = None
    skipped = ""
    if not args.offline:
        settings = load_gateway_settings(args.models)
        gateway = Gateway.from_data(settings, outbound=operator_policy(settings))
        dsn = args.dsn or os.environ.get("IPWB_WAREHOUSE_DSN")
        if not gateway.configured:
            skipped = "No LLM model configured (pass --models FILE)"
        elif not dsn:
            skipped = "no warehouse DSN (pass --dsn or set IPWB_WAREHOUSE_DSN)"
        else:
            nl2sql = Nl2Sql(eval_set.catalog, gateway, k=args.k)
            executor = readonly_executor(dsn)
    else:
        skipped = "offline"
    report = evaluation.run_eval(eval_set, k=args.k, nl2sql=nl2sql, executor=executor)
    if skipped:
        report.execution_skipped = skipped
    if args.verbose:
        for result in report.results:
            verdict = {None: "-", True: "ok", False: "WRONG"}[result.correct]
            missing = sorted(set(result.gold_tables) - set(result.retrieved))
            line = f"{result.case.id:10} recall={result.recall:.2f} exec={verdict}"
            if missing:
                line += f" missing={','.join(missing)}"
            if result.error:
                line += f" error={result.error[:120]}"
            print(line)
    print(json.dumps(report.summary(), indent=2))
    return 0
