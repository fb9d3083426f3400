from . import ipwb_domain_template
