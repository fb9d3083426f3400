# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Genie",
    "summary": "LLM gateway, NL to SQL, pipeline generation, agents with tools and traces",
    "version": "18.0.1.2.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_sql_editor", "ipwb_pipeline"],
    "external_dependencies": {
        "python": ["ipwb", "litellm", "jsonschema", "langgraph", "langgraph-checkpoint-postgres", "psycopg"]
    },
    "data": [
        "security/ipwb_genie_security.xml",
        "security/ir.model.access.csv",
        "data/ipwb_agent_cron.xml",
        "views/ipwb_llm_model_views.xml",
        "views/ipwb_llm_trace_views.xml",
        "views/ipwb_genie_conversation_views.xml",
        "views/ipwb_agent_views.xml",
        "views/ipwb_genie_wizard_views.xml",
        "views/res_config_settings_views.xml",
        "views/ipwb_genie_eval_views.xml",
        "data/ipwb_genie_eval_cron.xml",
        "views/ipwb_genie_menus.xml",
    ],
    "post_init_hook": "post_init_hook",
    "assets": {
        "web.assets_backend": [
            "ipwb_genie/static/src/**/*",
        ],
        "web.assets_tests": [
            "ipwb_genie/static/tests/tours/**/*",
        ],
    },
}
