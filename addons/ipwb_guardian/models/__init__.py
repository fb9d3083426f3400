from . import ipwb_dq_check
