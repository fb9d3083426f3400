# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "InsightPulse Workbench: Finance (BIR)",
    "summary": "Philippine BIR finance domain: Odoo accounting to bronze, silver and gold marts",
    "version": "18.0.1.0.0",
    "category": "InsightPulse Workbench",
    "website": "https://github.com/insightpulse/workbench",
    "author": "InsightPulse",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["ipwb_pipeline", "account", "l10n_ph", "hr_expense"],
    "data": [
        "security/ipwb_finance_bir_security.xml",
        "security/ir.model.access.csv",
        "data/ipwb_finance_pipeline_user.xml",
        "data/ipwb_bir_form_data.xml",
        "views/ipwb_bir_form_views.xml",
        "views/ipwb_finance_run_views.xml",
        "views/ipwb_domain_template_views.xml",
        "views/ipwb_sawt_government_views.xml",
        "views/ipwb_bir_filing_wizard_views.xml",
        "views/res_company_views.xml",
        "report/ipwb_bir_2307_report.xml",
        "data/ipwb_finance_dq_checks.xml",
        "data/ipwb_finance_pipeline.xml",
    ],
}
