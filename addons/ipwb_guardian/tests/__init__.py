from . import test_dq_check
