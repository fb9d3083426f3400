# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Guardian",
    "summary": "Data-quality checks, scorecards, spec validation and governance gates",
    "version": "18.0.1.1.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_catalog"],
    "data": [
        "security/ir.model.access.csv",
        "data/ipwb_guardian_cron.xml",
        "views/ipwb_dq_check_views.xml",
        "views/ipwb_dq_result_views.xml",
        "views/ipwb_dq_scorecard_views.xml",
        "views/ipwb_guardian_gate_views.xml",
        "views/ipwb_table_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/ipwb_guardian_validate_wizard_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ipwb_guardian/static/src/**/*",
        ],
        "web.assets_tests": [
            "ipwb_guardian/static/tests/tours/**/*",
        ],
    },
}
