# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Home",
    "summary": "The overview of the launch metrics; ip_workbench metadata in the warehouse",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_genie"],
    "external_dependencies": {"python": ["ipwb"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/ipwb_overview_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ipwb_workbench/static/src/**/*",
        ],
        "web.assets_tests": [
            "ipwb_workbench/static/tests/tours/**/*",
        ],
    },
}
