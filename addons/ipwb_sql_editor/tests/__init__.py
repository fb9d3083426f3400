from . import test_query_history
