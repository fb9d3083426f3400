# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Pipelines",
    "summary": "Data pipelines: DAG of steps, schedules, runs, monitoring, specs in git",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_guardian", "ipwb_cost"],
    "data": [
        "security/ir.model.access.csv",
        "views/ipwb_pipeline_views.xml",
    ],
}
