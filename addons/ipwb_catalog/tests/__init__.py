from . import (
    test_catalog_access,
    test_catalog_churn,
    test_catalog_migration,
    test_catalog_scan,
    test_catalog_search,
    test_catalog_usage,
    test_connection,
    test_lineage,
    test_lineage_graph,
    test_rpc_fuzz,
    test_security,
    test_tour,
)
