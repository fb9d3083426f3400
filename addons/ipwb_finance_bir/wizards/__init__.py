from . import ipwb_bir_filing_wizard, ipwb_domain_template
