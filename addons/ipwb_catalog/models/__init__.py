from . import (
    ipwb_column,
    ipwb_connection,
    ipwb_connection_scan,
    ipwb_lineage_edge,
    ipwb_outbound_policy,
    ipwb_schema,
    ipwb_table,
    ipwb_tag,
    res_config_settings,
    res_groups,
)
