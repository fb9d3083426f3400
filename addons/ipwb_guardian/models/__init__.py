from . import (
    ipwb_dq_check,
    ipwb_dq_result,
    ipwb_dq_scorecard,
    ipwb_guardian_gate,
    ipwb_guardian_waiver,
    ipwb_outbound_policy,
    ipwb_table,
    res_config_settings,
)
