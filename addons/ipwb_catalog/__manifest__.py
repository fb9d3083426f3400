# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Catalog",
    "summary": "Workbench groups and menus, warehouse connections, metadata catalog and lineage",
    "version": "18.0.1.2.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": ["base", "mail", "web"],
    "external_dependencies": {"python": ["ipwb", "psycopg2", "sqlglot"]},
    "data": [
        "security/ipwb_security.xml",
        "security/ir.model.access.csv",
        "security/ipwb_catalog_rules.xml",
        "data/ipwb_connection_data.xml",
        "data/ipwb_catalog_cron.xml",
        "views/ipwb_connection_views.xml",
        "views/ipwb_table_views.xml",
        "views/ipwb_column_views.xml",
        "views/ipwb_schema_views.xml",
        "views/ipwb_lineage_edge_views.xml",
        "views/ipwb_menus.xml",
        "views/ipwb_settings_views.xml",
    ],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "assets": {
        "web.assets_backend": [
            "ipwb_catalog/static/src/**/*",
        ],
        "web.assets_tests": [
            "ipwb_catalog/static/tests/tours/**/*",
        ],
    },
}
