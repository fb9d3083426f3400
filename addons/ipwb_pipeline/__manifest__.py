# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Pipelines",
    "summary": "Data pipelines: DAG of steps, schedules, runs, monitoring, specs in git",
    "version": "18.0.1.1.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_guardian", "ipwb_cost"],
    "external_dependencies": {"python": ["ipwb"]},
    "data": [
        "security/ir.model.access.csv",
        "data/ipwb_pipeline_cron.xml",
        "data/ipwb_pipeline_noop.xml",
        "wizards/ipwb_pipeline_backfill_wizard_views.xml",
        "views/ipwb_pipeline_views.xml",
        "views/ipwb_pipeline_run_views.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "ipwb_pipeline/static/src/canvas/**/*",
        ],
        "web.assets_tests": [
            "ipwb_pipeline/static/tests/tours/**/*",
        ],
    },
}
