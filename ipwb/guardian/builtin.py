"""The built-in rules of the 8-step cycle, as data (codes: G<step><nn>).

Like sqlglot's optimizer rules: a plain ordered tuple, read by :mod:`ipwb.guardian.registry`
alone. Nothing imports this module back, so a rule module may import anything it needs
without an import cycle.
"""

from __future__ import annotations

from ipwb.guardian import coverage_rules as cov
from ipwb.guardian import static_rules as st
from ipwb.guardian.rules import Rule

BUILTIN_RULES: tuple[Rule, ...] = (
    Rule("syntax", "G101", "spec YAML, JSON Schema and semantics are valid", st.spec_syntax),
    Rule("syntax", "G102", "SQL of sql steps parses", st.sql_parses),
    Rule("syntax", "G103", "SQL files named by steps exist", st.sql_file_exists, "warning", False),
    Rule("type", "G201", "amounts numeric, dates and instants typed as such", st.naming_types),
    Rule("type", "G202", "accepted values and relationships fit the column types", st.typed_test_values),
    Rule("type", "G203", "declared columns match the catalog", st.catalog_types),
    Rule(
        "lint",
        "G301",
        "tables and targets named by layer (bronze_/silver_/gold_/platinum_)",
        st.layer_naming,
    ),
    Rule(
        "lint",
        "G302",
        "SQL style: explicit columns, schema-qualified tables, explicit joins",
        st.sql_style,
        "warning",
        False,
    ),
    Rule("security", "G401", "a step writes only into its target layer", st.writes_in_target_layer),
    Rule("security", "G402", "no forbidden SQL constructs", st.forbidden_sql),
    Rule("security", "G403", "PII columns exposed in gold/platinum are masked", st.pii_masked),
    Rule("security", "G404", "restricted tables declare grants or RLS", st.access_declared),
    Rule(
        "security",
        "G405",
        "PII outside gold lives in restricted tables",
        st.pii_unrestricted,
        "warning",
        False,
    ),
    Rule(
        "security",
        "G406",
        "SQL steps write only their declared targets and run no privileged statement",
        st.writes_within_declared_targets,
    ),
    Rule("test", "G501", "every gold/platinum table has tests", cov.gold_tested),
    Rule("test", "G502", "at least 80% of silver tables have tests", cov.silver_coverage),
    Rule("test", "G503", "every test of gold/platinum tables passes", cov.gold_tests_pass),
    Rule("test", "G504", "at least 80% of silver tables' tests pass", cov.silver_tests_pass),
    Rule("perf", "G601", "queries run under the latency budget", cov.latency_budget),
    Rule("perf", "G602", "queries can be measured in the warehouse", cov.measurable, "warning", False),
    Rule("docs", "G701", "every table, column and domain is described", cov.tables_described),
    Rule("docs", "G702", "pipelines and steps are described", cov.pipelines_described, "warning", False),
    Rule("integration", "G801", "pipeline success rate over 7 days above 95%", cov.success_rate),
)
