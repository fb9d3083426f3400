"""``ipwb sql bench --odoo-url``: bad input is refused clearly (the Odoo path itself runs in
the addon's HttpCase test against a real server, where the figures are printed)."""

from __future__ import annotations

import socket

import pytest

from ipwb.cli import main
from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ConfigurationError, match="must be http"):
        OdooJsonRpc("file:///etc/passwd")


def test_an_unreachable_workbench_is_an_integration_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    session = OdooJsonRpc(f"http://127.0.0.1:{port}", timeout_s=5)
    with pytest.raises(IntegrationError, match="did not answer"):
        session.authenticate("db", "admin", "x")


def test_cli_needs_the_database_and_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("IPWB_BENCH_PASSWORD", raising=False)
    code = main(["sql", "bench", "--dsn", "dbname=x", "--odoo-url", "http://127.0.0.1:9"])
    assert code == ConfigurationError.exit_code
    assert "--odoo-db" in capsys.readouterr().err
