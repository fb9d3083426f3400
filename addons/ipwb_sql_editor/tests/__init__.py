from . import (
    test_query_history,
    test_rpc_fuzz,
    test_sql_approval,
    test_sql_bench,
    test_sql_browser,
    test_sql_browser_bench,
    test_sql_export,
    test_sql_grants,
    test_sql_service,
    test_sql_snippet,
    test_sql_values,
    test_tour,
)
