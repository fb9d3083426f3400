from . import ipwb_bir_form
