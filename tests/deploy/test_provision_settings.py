"""The deployment's database settings (ipwb.deploy.dbenv) and preflight findings, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipwb.deploy.dbenv import ENVIRONMENT, SECRETS, WH_GRANTS, DbSettings, read_value
from ipwb.deploy.pooler import ProbeResult
from ipwb.deploy.preflight import Finding, managed_databases, managed_roles
from ipwb.errors import ConfigurationError

BASE = {
    "IPWB_DB_HOST": "db.example",
    "IPWB_DB_ADMIN_USER": "doadmin",
    "IPWB_DB_ADMIN_PASSWORD": "a",
    "IPWB_DB_PASSWORD": "o",
    "IPWB_WH_OWNER_PASSWORD": "w",
    "IPWB_WH_READER_PASSWORD": "r",
    "IPWB_WH_GRANTS_PASSWORD": "g",
}


def test_defaults_follow_the_contract() -> None:
    settings = DbSettings.from_environ(BASE)
    assert (settings.server.port, settings.server.sslmode) == (5432, "prefer")
    assert (settings.odoo_db, settings.odoo_user, settings.warehouse_db) == (
        "ipwb",
        "ipwb_odoo",
        "ipwb_warehouse",
    )
    assert settings.warehouse_server == settings.server
    assert settings.admin_db == "postgres"
    assert settings.db_maxconn == 16
    assert settings.missing_secrets() == []
    assert set(SECRETS) <= set(ENVIRONMENT)


def test_passwords_never_in_repr() -> None:
    text = repr(DbSettings.from_environ({**BASE, "IPWB_DB_PASSWORD": "s3cr3t-odoo"}))
    assert "s3cr3t-odoo" not in text


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-file\n", encoding="utf-8")
    env = {k: v for k, v in BASE.items() if k != "IPWB_DB_PASSWORD"}
    env["IPWB_DB_PASSWORD_FILE"] = str(secret)
    assert DbSettings.from_environ(env).odoo_password == "from-file"


def test_unreadable_secret_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"IPWB_DB_PASSWORD_FILE=.* cannot be read"):
        read_value({"IPWB_DB_PASSWORD_FILE": str(tmp_path / "missing")}, "IPWB_DB_PASSWORD")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"IPWB_DB_HOST": ""}, "IPWB_DB_HOST is not set"),
        ({"IPWB_DB_PORT": "54x"}, "IPWB_DB_PORT must be a TCP port number, not '54x'"),
        ({"IPWB_DB_PORT": "70000"}, "IPWB_DB_PORT must be a TCP port number"),
        ({"IPWB_WAREHOUSE_PORT": "-1"}, "IPWB_WAREHOUSE_PORT must be a TCP port number"),
        ({"IPWB_DB_MAXCONN": "many"}, "IPWB_DB_MAXCONN must be a whole number"),
    ],
)
def test_bad_values_are_refused(overrides: dict[str, str], message: str) -> None:
    env = {**BASE, **overrides}
    with pytest.raises(ConfigurationError, match=message):
        DbSettings.from_environ({k: v for k, v in env.items() if v})


def test_missing_secrets_are_named() -> None:
    env = {k: v for k, v in BASE.items() if k not in {"IPWB_WH_GRANTS_PASSWORD", "IPWB_DB_ADMIN_USER"}}
    assert DbSettings.from_environ(env).missing_secrets() == ["IPWB_DB_ADMIN_USER", "IPWB_WH_GRANTS_PASSWORD"]


def test_separate_warehouse_server_gets_only_its_roles() -> None:
    settings = DbSettings.from_environ({**BASE, "IPWB_WAREHOUSE_HOST": "wh.example"})
    assert managed_roles(settings, settings.server) == ["ipwb_odoo"]
    assert WH_GRANTS in managed_roles(settings, settings.warehouse_server)
    assert managed_databases(settings, settings.server) == {"ipwb": "ipwb_odoo"}
    assert managed_databases(settings, settings.warehouse_server) == {"ipwb_warehouse": "ipwb_wh_owner"}


def test_supavisor_logins_carry_the_project_ref() -> None:
    settings = DbSettings.from_environ(
        {
            **BASE,
            "IPWB_DB_HOST": "aws-0-ap-southeast-1.pooler.supabase.com",
            "IPWB_DB_ADMIN_USER": "postgres.ref123",
            "IPWB_DB_USER": "ipwb_odoo.ref123",
        }
    )
    assert settings.odoo_role == "ipwb_odoo"
    assert settings.odoo_kwargs()["user"] == "ipwb_odoo.ref123"
    assert managed_roles(settings, settings.server)[0] == "ipwb_odoo"
    # a role name with a dot elsewhere is a plain name
    plain = DbSettings.from_environ({**BASE, "IPWB_DB_USER": "odoo.prod"})
    assert (plain.project_ref, plain.odoo_role) == ("", "odoo.prod")


def test_probe_verdicts() -> None:
    assert ProbeResult(10, 10, 11, True).session_mode
    shared = ProbeResult(10, 10, 10, True)
    assert not shared.session_mode
    assert "same PostgreSQL backend (pid 10)" in shared.observation()
    moved = ProbeResult(10, 12, 11, False)
    assert not moved.session_mode
    assert "different PostgreSQL backends (pids 10 and 12)" in moved.observation()


def test_finding_names_the_remedy() -> None:
    finding = Finding("role x lacks CREATEROLE", "ALTER ROLE x CREATEROLE")
    assert str(finding) == "role x lacks CREATEROLE (ALTER ROLE x CREATEROLE)"
