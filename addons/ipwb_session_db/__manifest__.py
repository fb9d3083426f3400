# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Sessions in the Database",
    "summary": "HTTP sessions in PostgreSQL for several servers without a shared disk; "
    "attachment storage switch for deployments",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["base", "web"],
    "post_load": "post_load",
    "data": [],
}
