"""Access matrix of every ipwb.* model x workbench role x operation, asked of the running server.

*Expected*: tests/security/access_matrix.csv (human-reviewed; one row per model, one column per
role; cells like ``r``, ``rwc``, ``rwcu``, ``-``). *Observed*: each role's own session asks the
server ``has_access(operation)`` on the model and, for read, really runs ``search_read``
(limit 1). One test per model prints the whole matrix, differing cells marked, on failure.
"""

from __future__ import annotations

import csv
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import ROLES, Workbench
from .workbench import ACCESS_ERROR, Client, RpcError

pytestmark = [pytest.mark.odoo]

MATRIX_FILE = pathlib.Path(__file__).with_name("access_matrix.csv")
OPERATIONS = (("read", "r"), ("write", "w"), ("create", "c"), ("unlink", "u"))
#: a has_access/search_read disagreement is shown as this mark in the observed cell
INCONSISTENT = "!"


def load_expected() -> tuple[list[str], dict[str, dict[str, str]]]:
    lines = [
        line for line in MATRIX_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    reader = csv.reader(lines)
    header = next(reader)
    roles = header[1:]
    expected: dict[str, dict[str, str]] = {}
    for row in reader:
        assert len(row) == len(header), f"{MATRIX_FILE.name}: row {row} does not have one cell per role"
        assert row[0] not in expected, f"{MATRIX_FILE.name}: {row[0]} is listed twice"
        expected[row[0]] = dict(zip(roles, (cell.strip() for cell in row[1:]), strict=True))
    return roles, expected


EXPECTED_ROLES, EXPECTED = load_expected()


def _observe_model(client: Client, model: str, searchable: bool) -> str:
    cell = ""
    for operation, letter in OPERATIONS:
        try:
            allowed = bool(client.call(model, "has_access", [], operation))
        except RpcError:  # the anonymous visitor cannot even ask
            allowed = False
        if allowed:
            cell += letter
        if operation == "read" and searchable:
            try:
                client.call(model, "search_read", [], ["id"], limit=1)
                searched = True
            except RpcError:
                searched = False
            if searched != allowed:
                cell += INCONSISTENT
    return cell or "-"


@pytest.fixture(scope="module")
def server_models(workbench: Workbench) -> dict[str, bool]:
    """Every ipwb.* model the server knows → whether it has a table to search (admin probe)."""
    models = workbench.admin.call("ir.model", "search_read", [("model", "=like", "ipwb.%")], ["model"])
    searchable = {}
    for model in sorted(m["model"] for m in models):
        try:
            workbench.admin.call(model, "search_read", [], ["id"], limit=1)
            searchable[model] = True
        except RpcError as exc:  # an abstract model (a service) has no table
            # a service without records (no access rule at all) must be declared so: all "-"
            service = set(EXPECTED.get(model, {"admin": "?"}).values()) == {"-"}
            assert exc.name != ACCESS_ERROR or service, f"the administrator may not read {model}"
            searchable[model] = False
    return searchable


@pytest.fixture(scope="module")
def observed(workbench: Workbench, server_models: dict[str, bool]) -> dict[str, dict[str, str]]:
    def observe_role(role: str) -> dict[str, str]:
        client = workbench.as_role(role)
        return {model: _observe_model(client, model, table) for model, table in server_models.items()}

    with ThreadPoolExecutor(max_workers=3) as pool:
        by_role = dict(zip(ROLES, pool.map(observe_role, ROLES), strict=True))
    return {model: {role: by_role[role][model] for role in ROLES} for model in server_models}


def render_matrix(observed: dict[str, dict[str, str]], focus: str | None = None) -> str:
    """Every model x role as ``expected/observed``; ``*`` marks a differing cell."""
    models = sorted(set(EXPECTED) | set(observed))
    width = max(len(m) for m in models) + 2
    lines = ["cells: expected/observed (r read, w write, c create, u unlink, ! has_access ≠ search_read)"]
    lines.append("model".ljust(width) + "".join(role.ljust(13) for role in ROLES))
    for model in models:
        cells = []
        for role in ROLES:
            want = EXPECTED.get(model, {}).get(role, "?")
            got = observed.get(model, {}).get(role, "?")
            mark = "" if want == got else "*"
            cells.append(f"{mark}{want}/{got}".ljust(13))
        prefix = ">" if model == focus else " "
        lines.append(prefix + model.ljust(width - 1) + "".join(cells))
    return "\n".join(lines)


def test_matrix_file_has_a_column_per_role() -> None:
    assert list(ROLES) == EXPECTED_ROLES, "access_matrix.csv must have one column per workbench role"
    for model, cells in EXPECTED.items():
        for role, cell in cells.items():
            assert cell == "-" or (cell and set(cell) <= set("rwcu")), f"{model}/{role}: bad cell {cell!r}"


def test_every_server_model_is_in_the_matrix(server_models: dict[str, bool]) -> None:
    missing = sorted(set(server_models) - set(EXPECTED))
    assert not missing, f"models without expected access rules in {MATRIX_FILE.name}: {missing}"
    unknown = sorted(set(EXPECTED) - set(server_models))
    assert not unknown, f"{MATRIX_FILE.name} lists models the server does not have: {unknown}"


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_model_access(model: str, observed: dict[str, dict[str, str]]) -> None:
    assert model in observed, f"the server has no model {model}"
    differing = {role: (EXPECTED[model][role], observed[model][role]) for role in ROLES}
    differing = {role: pair for role, pair in differing.items() if pair[0] != pair[1]}
    assert not differing, f"{model}: expected/observed differ for {differing}\n" + render_matrix(
        observed, model
    )


def test_no_model_is_readable_by_the_anonymous_visitor(
    workbench: Workbench, observed: dict[str, dict[str, str]]
) -> None:
    readable = sorted(model for model, cells in observed.items() if "r" in cells["public"])
    assert not readable, f"the anonymous visitor reads {readable}"
    # and no access rule grants anything to everyone or to the public/portal groups
    open_groups = [False, workbench.xmlid("base.group_public"), workbench.xmlid("base.group_portal")]
    rules = workbench.admin.call(
        "ir.model.access",
        "search_read",
        [("model_id.model", "=like", "ipwb.%"), ("group_id", "in", open_groups)],
        ["name"],
    )
    assert rules == [], f"access rules open to everyone, public or portal users: {rules}"
