from . import ipwb_cost_entry
