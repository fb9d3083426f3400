from . import ipwb_query_history
