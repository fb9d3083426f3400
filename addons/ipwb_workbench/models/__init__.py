from . import ipwb_connection, ipwb_cost_entry, ipwb_metadata_publisher, ipwb_overview, ipwb_pipeline_run
