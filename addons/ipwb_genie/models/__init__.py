from . import ipwb_llm_model
