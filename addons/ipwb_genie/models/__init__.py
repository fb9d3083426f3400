from . import (
    ipwb_agent,
    ipwb_agent_run,
    ipwb_agent_step,
    ipwb_agent_tool,
    ipwb_dq_scorecard,
    ipwb_genie_conversation,
    ipwb_genie_message,
    ipwb_llm_model,
    ipwb_llm_trace,
    ipwb_outbound_policy,
    ipwb_pipeline,
    res_config_settings,
)
