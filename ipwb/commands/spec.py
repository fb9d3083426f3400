"""``ipwb spec validate|format``: check specs in git hooks and CI, keep them in stable format.

``validate`` exits 0 when every spec is valid and 2 with a ``file:line:col: message`` report
otherwise; Guardian's ``ipwb guardian validate`` wraps the same engine call as its syntax step.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ipwb.errors import SpecError
from ipwb.specs import dumps, validate_paths


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("spec", help="validate and format pipeline/table/domain specs")
    commands = parser.add_subparsers(dest="spec_command", metavar="ACTION")
    commands.required = True

    validate = commands.add_parser("validate", help="syntax + JSON Schema + semantic checks, line-numbered")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="spec files or directories (e.g. specs/)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.set_defaults(func=run_validate)

    fmt = commands.add_parser("format", help="rewrite valid specs in the stable format (keeps key order)")
    fmt.add_argument("paths", nargs="+", metavar="PATH")
    fmt.add_argument("--check", action="store_true", help="only report files that would change (exit 1)")
    fmt.set_defaults(func=run_format)


def run_validate(args: argparse.Namespace) -> int:
    report = validate_paths(args.paths)
    if args.json:
        payload = {
            "ok": report.ok,
            "files": [f.source for f in report.files],
            "skipped": report.skipped,
            "problems": report.problems,
        }
        print(json.dumps(payload, indent=2))
    else:
        for problem in report.problems:
            print(problem)
        print(report.summary(), file=sys.stderr)
    return 0 if report.ok else SpecError.exit_code


def run_format(args: argparse.Namespace) -> int:
    report = validate_paths(args.paths)
    if not report.ok:
        for problem in report.problems:
            print(problem)
        print(f"not formatting: {report.summary()}", file=sys.stderr)
        return SpecError.exit_code
    changed = []
    for spec_file in report.files:
        assert spec_file.spec is not None
        path = Path(spec_file.source)
        text = dumps(spec_file.spec)
        if path.read_text(encoding="utf-8") != text:
            changed.append(spec_file.source)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    for source in changed:
        print(("would reformat " if args.check else "reformatted ") + source)
    return 1 if (args.check and changed) else 0
