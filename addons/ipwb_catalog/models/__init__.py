from . import ipwb_connection
from . import ipwb_tag
from . import ipwb_schema
from . import ipwb_table
from . import ipwb_column
from . import ipwb_lineage_edge
from . import res_config_settings
