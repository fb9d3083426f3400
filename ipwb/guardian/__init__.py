"""Guardian: the 8-step validation cycle, data-quality checks, scorecards and gates.

* :mod:`ipwb.guardian.cycle` — ``validate_paths``/``validate_text`` run the rules of
  :mod:`ipwb.guardian.registry` (built-in ones as data in :mod:`ipwb.guardian.builtin`: syntax,
  type, lint, security, test, perf, docs, integration; types in :mod:`ipwb.guardian.rules`);
* :mod:`ipwb.guardian.checks` — DQ check specs → ``psycopg2.sql`` compositions;
* :mod:`ipwb.guardian.runner` — checks executed read-only in the warehouse, samples capped;
* :mod:`ipwb.guardian.scoring` — results → dimension scores → Guardian score per table/domain;
* :mod:`ipwb.guardian.gate` — promotion gate (owner, SLO, tests, lineage; waivers);
* :mod:`ipwb.guardian.alerts` — Mattermost-compatible webhook alerts.
"""

from ipwb.guardian.context import Catalog, Context, RunRecord, load_catalog, load_history
from ipwb.guardian.cycle import run, validate_paths, validate_text
from ipwb.guardian.registry import builtin_rules, register_rule, rules, unregister_rule
from ipwb.guardian.rules import STEPS, Finding, Report, Rule, RuleResult, Skip

__all__ = [
    "STEPS",
    "Catalog",
    "Context",
    "Finding",
    "Report",
    "Rule",
    "RuleResult",
    "RunRecord",
    "Skip",
    "builtin_rules",
    "load_catalog",
    "load_history",
    "register_rule",
    "rules",
    "run",
    "unregister_rule",
    "validate_paths",
    "validate_text",
]
