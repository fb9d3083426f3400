from . import (
    ipwb_connection,
    ipwb_query_history,
    ipwb_sql_approval,
    ipwb_sql_browser,
    ipwb_sql_completion,
    ipwb_sql_running_query,
    ipwb_sql_service,
    ipwb_sql_snippet,
    ipwb_sql_snippet_tag,
)
