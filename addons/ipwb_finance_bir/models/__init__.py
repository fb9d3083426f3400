from . import (
    ipwb_bir_2307_report,
    ipwb_bir_form,
    ipwb_finance_run,
    ipwb_pipeline_run,
    ipwb_pipeline_step,
    ipwb_pipeline_step_run,
    res_company,
    res_company_sawt_basis,
    res_partner_government,
)
