# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Genie",
    "summary": "LLM gateway, NL to SQL, pipeline generation, agents with tools and traces",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_sql_editor", "ipwb_pipeline"],
    "data": [
        "security/ir.model.access.csv",
        "views/ipwb_llm_model_views.xml",
    ],
}
