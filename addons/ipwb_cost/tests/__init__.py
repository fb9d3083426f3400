from . import test_cost_entry
