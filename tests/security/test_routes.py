"""Every HTTP route of the ipwb addons x workbench role, as a table test.

Routes are read from the controllers' ``http.route`` declarations (addons/*/controllers, parsed,
not imported); each (route, probe) row of tests/security/routes.csv says what every role gets.
A route without probes or without expected outcomes fails; mismatches print the whole table.
"""

from __future__ import annotations

import ast
import csv
import pathlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .conftest import ROLES, Workbench
from .workbench import Client

pytestmark = [pytest.mark.odoo]

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROUTES_FILE = pathlib.Path(__file__).with_name("routes.csv")


def declared_routes() -> dict[str, dict[str, object]]:
    """path → {type, auth, methods} of every @http.route in addons/*/controllers/*.py."""
    routes: dict[str, dict[str, object]] = {}
    for source in sorted(ROOT.glob("addons/*/controllers/*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    continue
                func = decorator.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name != "route" or not decorator.args:
                    continue
                paths = ast.literal_eval(decorator.args[0])
                options = {k.arg: ast.literal_eval(k.value) for k in decorator.keywords if k.arg}
                for path in [paths] if isinstance(paths, str) else paths:
                    routes[path] = options
    return routes


def load_expected() -> dict[tuple[str, str], dict[str, str]]:
    lines = [
        line for line in ROUTES_FILE.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    reader = csv.reader(lines)
    header = next(reader)
    assert header[2:] == list(ROLES), f"{ROUTES_FILE.name} must have one column per workbench role"
    return {(row[0], row[1]): dict(zip(header[2:], row[2:], strict=True)) for row in reader}


EXPECTED = load_expected()
Probe = Callable[[Client], requests.Response]


def _export(fmt: str, *, csrf: bool = True) -> Probe:
    def probe(client: Client) -> requests.Response:
        data = {"sql": "SELECT 1 AS one", "filename": "probe"}
        if csrf and client.uid:
            data["csrf_token"] = client.csrf_token()
        url = f"{client.base_url}/ipwb_sql_editor/export/{fmt}"
        return client.http.post(url, data=data, allow_redirects=False, timeout=60)

    return probe


#: (route, probe name) → how to call it
PROBES: dict[tuple[str, str], Probe] = {
    ("/ipwb_sql_editor/export/<string:fmt>", "csv"): _export("csv"),
    ("/ipwb_sql_editor/export/<string:fmt>", "xlsx"): _export("xlsx"),
    ("/ipwb_sql_editor/export/<string:fmt>", "unknown-format"): _export("pdf"),
    ("/ipwb_sql_editor/export/<string:fmt>", "no-csrf-token"): _export("csv", csrf=False),
}


def outcome(answer: requests.Response) -> str:
    if answer.status_code in (301, 302, 303) and "/web/login" in answer.headers.get("Location", ""):
        return "login"
    return str(answer.status_code)


@pytest.fixture(scope="module")
def observed(workbench: Workbench) -> dict[tuple[str, str], dict[str, str]]:
    def observe_role(role: str) -> dict[tuple[str, str], str]:
        client = workbench.as_role(role)
        return {key: outcome(probe(client)) for key, probe in PROBES.items()}

    with ThreadPoolExecutor(max_workers=3) as pool:
        by_role = dict(zip(ROLES, pool.map(observe_role, ROLES), strict=True))
    return {key: {role: by_role[role][key] for role in ROLES} for key in PROBES}


def render(observed: dict[tuple[str, str], dict[str, str]]) -> str:
    lines = ["cells: expected/observed, * marks a difference"]
    lines.append("route | probe".ljust(56) + "".join(role.ljust(13) for role in ROLES))
    for key in sorted(set(EXPECTED) | set(observed)):
        cells = []
        for role in ROLES:
            want = EXPECTED.get(key, {}).get(role, "?")
            got = observed.get(key, {}).get(role, "?")
            cells.append(("" if want == got else "*") + f"{want}/{got}".ljust(13))
        lines.append(f"{key[0]} | {key[1]}".ljust(56) + "".join(cells))
    return "\n".join(lines)


def test_every_route_has_probes_and_expected_outcomes() -> None:
    routes = declared_routes()
    assert routes, "no http.route found under addons/*/controllers"
    probed = {route for route, _ in PROBES}
    listed = {route for route, _ in EXPECTED}
    assert not set(routes) - probed, (
        f"routes without a probe in test_routes.py: {sorted(set(routes) - probed)}"
    )
    assert not set(routes) - listed, f"routes missing from {ROUTES_FILE.name}: {sorted(set(routes) - listed)}"
    assert set(PROBES) == set(EXPECTED), "every probe has one row of expected outcomes and vice versa"
    assert listed <= set(routes), (
        f"{ROUTES_FILE.name} lists undeclared routes: {sorted(listed - set(routes))}"
    )


@pytest.mark.parametrize("route,probe", sorted(EXPECTED))
def test_route(route: str, probe: str, observed: dict[tuple[str, str], dict[str, str]]) -> None:
    got = observed[(route, probe)]
    want = EXPECTED[(route, probe)]
    differing = {role: (want[role], got[role]) for role in ROLES if want[role] != got[role]}
    assert not differing, f"{route} ({probe}): expected/observed differ for {differing}\n" + render(observed)
