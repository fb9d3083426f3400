from . import ipwb_pipeline_import_wizard
