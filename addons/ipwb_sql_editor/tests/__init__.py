from . import test_query_history, test_sql_approval, test_sql_service, test_sql_snippet
