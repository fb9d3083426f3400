from . import (
    ipwb_cost_entry,
    ipwb_outbound_policy,
    ipwb_pipeline,
    ipwb_pipeline_run,
    ipwb_pipeline_step,
    ipwb_pipeline_step_run,
    res_config_settings,
    step_kinds,
)
