# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: SQL Editor",
    "summary": "Safe SQL against the warehouse: editor, query history, snippets, approved writes, export",
    "version": "18.0.1.1.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_catalog", "mail"],
    "external_dependencies": {"python": ["ipwb", "psycopg2", "sqlglot", "xlsxwriter"]},
    "data": [
        "security/ipwb_sql_editor_security.xml",
        "security/ir.model.access.csv",
        "data/ipwb_sql_editor_data.xml",
        "views/ipwb_query_history_views.xml",
        "views/ipwb_sql_editor_views.xml",
        "views/ipwb_sql_snippet_views.xml",
        "views/ipwb_sql_approval_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ipwb_sql_editor/static/src/**/*",
        ],
        "web.assets_tests": [
            "ipwb_sql_editor/static/tests/tours/**/*",
        ],
    },
}
