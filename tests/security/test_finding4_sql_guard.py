"""Issue #19 finding 4: the SQL editor refuses server-side functions however they are spelled.

Functions changing the server or other sessions (set_config, pg_notify, pg_terminate_backend,
advisory locks) are refused whether written plainly or as Unicode-escaped identifiers
(``U&"\\0073et_config"``, ``U&"!0073et_config" UESCAPE '!'``): the run is not a success and
returns no row. The plain spellings are the control (refused today already).
"""

from __future__ import annotations

import pytest

from .conftest import Workbench

pytestmark = [pytest.mark.odoo]

STATEMENTS = {
    "set_config": "SELECT set_config('work_mem', '1MB', false)",
    "set_config escaped": "SELECT U&\"\\0073et_config\"('work_mem', '1MB', false)",
    "set_config UESCAPE": "SELECT U&\"!0073et_config\" UESCAPE '!' ('work_mem', '1MB', false)",
    "set_config qualified escaped": "SELECT pg_catalog.U&\"\\0073et_config\"('work_mem', '1MB', false)",
    "pg_notify escaped": "SELECT U&\"pg_\\006eotify\"('ipwb_security_suite', 'hello')",
    "pg_terminate_backend escaped": 'SELECT U&"pg_\\0074erminate_backend"(0)',
    "pg_advisory_lock escaped": 'SELECT U&"pg_advisory_\\006cock"(4242)',
    "pg_advisory_lock UESCAPE": "SELECT U&\"pg_advisory_#006cock\" UESCAPE '#' (4242)",
}


@pytest.mark.parametrize("label", sorted(STATEMENTS))
def test_sql_editor_refuses_server_side_functions(workbench: Workbench, label: str) -> None:
    result = workbench.as_role("user").call("ipwb.sql.service", "run", sql=STATEMENTS[label])
    assert result["status"] in ("refused", "error"), f"{label} ran: {result}"
    assert not result.get("rows"), result
