from . import test_agent, test_generation, test_genie_ask, test_llm_model, test_rpc_fuzz, test_tour
