from . import (
    test_agent,
    test_agent_live,
    test_agent_pipeline_tool,
    test_agent_runtime,
    test_evaluation,
    test_generation,
    test_genie_ask,
    test_genie_grants,
    test_llm_model,
    test_outbound,
    test_rpc_fuzz,
    test_tour,
)
