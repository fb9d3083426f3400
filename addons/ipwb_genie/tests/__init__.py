from . import test_llm_model
