from . import ipwb_agent_playground
from . import ipwb_genie_pipeline_wizard
from . import ipwb_genie_dq_insight
