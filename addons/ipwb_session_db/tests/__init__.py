from . import test_db_session_store
