# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Costs",
    "summary": "Cost ledger for LLM calls, pipeline runs and warehouse compute, with budgets",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_catalog"],
    "data": [
        "security/ipwb_cost_security.xml",
        "security/ir.model.access.csv",
        "data/ipwb_cost_price_data.xml",
        "views/ipwb_cost_entry_views.xml",
        "views/ipwb_cost_price_views.xml",
    ],
}
