from . import test_dq_check, test_dq_run, test_gate, test_validate_wizard
