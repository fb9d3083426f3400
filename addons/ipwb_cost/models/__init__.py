from . import ipwb_cost_entry, ipwb_cost_price
