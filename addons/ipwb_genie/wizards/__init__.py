from . import (
    ipwb_agent_playground,
    ipwb_agent_reject_wizard,
    ipwb_genie_dq_insight,
    ipwb_genie_eval_wizard,
    ipwb_genie_pipeline_wizard,
)
