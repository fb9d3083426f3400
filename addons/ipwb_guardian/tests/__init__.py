from . import (
    test_dq_check,
    test_dq_run,
    test_gate,
    test_gate_outcomes,
    test_scorecard_latest,
    test_tour,
    test_validate_wizard,
)
