from . import ipwb_connection
