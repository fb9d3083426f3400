from . import ipwb_guardian_validate_wizard
