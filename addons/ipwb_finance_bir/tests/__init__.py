from . import (
    test_bir_form,
    test_demo_data,
    test_domain_template,
    test_filings,
    test_finance_pipeline,
    test_genie_eval_set,
    test_reconciliation,
    test_volume_data,
)
