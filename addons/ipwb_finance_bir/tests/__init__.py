from . import test_bir_form, test_demo_data, test_finance_pipeline
