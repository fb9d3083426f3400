from . import test_ip_workbench, test_overview, test_overview_access, test_tour, test_warehouse_unreachable
