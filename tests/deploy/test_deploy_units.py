"""Pure helpers of the backup/restore engine: doctests, settings, table-of-contents filter."""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

from ipwb.deploy import backup_env, config, dbenv, restore
from ipwb.errors import ConfigurationError

MODULES = [
    "ipwb.deploy.backup_env",
    "ipwb.deploy.pgclient",
    "ipwb.deploy.archive",
    "ipwb.deploy.pgroles",
    "ipwb.deploy.restore",
    "ipwb.deploy.config",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_secrets_come_from_files_and_never_need_argv(tmp_path: pathlib.Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    settings = backup_env.from_environ(
        {
            "IPWB_DB_PASSWORD_FILE": str(secret),
            "IPWB_WH_OWNER_PASSWORD": "o",
            "IPWB_WAREHOUSE_HOST": "wh",
            "IPWB_DB_ADMIN_USER": "doadmin",
        }
    )
    assert settings.odoo.password == "from-a-file"
    assert settings.role_passwords == {
        "ipwb_odoo": "from-a-file",
        "ipwb_wh_owner": "o",
        "ipwb_wh_reader": None,
        "ipwb_wh_grants": None,
    }
    assert settings.admin_on(settings.warehouse).host == "wh"
    assert settings.admin_on(settings.warehouse).user == "doadmin"
    with pytest.raises(ConfigurationError, match="cannot be read"):
        backup_env.from_environ({"IPWB_DB_PASSWORD_FILE": str(tmp_path / "absent")})
    with pytest.raises(ConfigurationError, match="TCP port"):
        backup_env.from_environ({"IPWB_DB_PORT": "54x"})


LISTING = """;
; Archive created at 2026-12-06 16:05:51 UTC
;
8; 2615 16477 SCHEMA - bronze ipwb_wh_owner
3405; 0 0 ACL - SCHEMA bronze ipwb_wh_owner
3409; 0 0 COMMENT - EXTENSION pg_trgm
3486; 0 0 ACL pg_catalog FUNCTION pg_cancel_backend(integer) postgres
3517; 0 0 ACL pg_catalog TABLE pg_roles postgres
2090; 826 16481 DEFAULT ACL bronze DEFAULT PRIVILEGES FOR TABLES ipwb_wh_owner
3300; 1259 16500 TABLE gold sales ipwb_wh_owner
3301; 0 16500 TABLE DATA gold sales ipwb_wh_owner
3302; 0 0 COMMENT gold TABLE sales ipwb_wh_owner
"""


def test_only_catalog_grants_and_extension_comments_need_a_superuser() -> None:
    entries = restore.parse_toc(LISTING)
    assert len(entries) == 9
    needing = [e.line.split(";")[0] for e in entries if restore.needs_superuser(e)]
    assert needing == ["3409", "3486", "3517"]


@pytest.mark.parametrize("name", ["IPWB_DB_PASSWORD", "IPWB_WH_OWNER_PASSWORD", "IPWB_DB_ADMIN_PASSWORD"])
def test_every_reader_refuses_a_secret_given_twice(tmp_path: pathlib.Path, name: str) -> None:
    """The entry point, provisioning and backups read one environment by one rule: a secret set
    both as NAME and as NAME_FILE is refused by each (never one picking the variable and another
    the file)."""
    secret_file = tmp_path / "pw"
    secret_file.write_text("from-the-file\n")
    env = {"IPWB_DB_HOST": "db", name: "from-the-variable", f"{name}_FILE": str(secret_file)}
    readers = [
        lambda: config.read(env, name),
        lambda: dbenv.DbSettings.from_environ(env),
        lambda: backup_env.from_environ(env),
    ]
    for reader in readers:
        with pytest.raises(ConfigurationError, match=f"{name} and {name}_FILE are both set"):
            reader()


def test_the_readers_read_only_variables_of_the_deploy_contract() -> None:
    assert set(dbenv.ENVIRONMENT) <= set(config.ENVIRONMENT)
    assert set(backup_env.VARIABLES) <= set(config.ENVIRONMENT)
