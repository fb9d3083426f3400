from . import ipwb_pipeline
