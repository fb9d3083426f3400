from . import test_dq_check, test_dq_run, test_gate, test_gate_outcomes, test_tour, test_validate_wizard
