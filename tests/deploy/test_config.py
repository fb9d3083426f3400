"""The production odoo.conf rendered from the environment (ipwb.deploy.config): fast, no container."""

from __future__ import annotations

import configparser
import pathlib
import secrets
import subprocess
import sys

import pytest
from passlib.context import CryptContext

from ipwb.deploy import config, entrypoint
from ipwb.errors import ConfigurationError

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def secret_files(tmp_path: pathlib.Path) -> dict[str, str]:
    """A full environment whose secrets live in files, as the local overlay mounts them."""
    env = {"IPWB_DB_HOST": "db.internal", "IPWB_DB_ADMIN_USER": "doadmin"}
    for name, variable in config.ENVIRONMENT.items():
        if variable.secret:
            path = tmp_path / name.lower()
            path.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
            env[f"{name}_FILE"] = str(path)
    return env


def _parse(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return dict(parser["options"])


def _render(env: dict[str, str], command: str = "serve") -> dict[str, str]:
    return _parse(config.render(config.options(env, command, "/opt/odoo/addons,/opt/ipwb/addons")))


def test_production_settings(secret_files: dict[str, str]) -> None:
    options = _render(secret_files | {"IPWB_WORKERS": "5"})
    assert options["list_db"] == "False"
    assert options["dbfilter"] == "^ipwb$"
    assert options["proxy_mode"] == "True"
    assert options["without_demo"] == "all"
    assert options["workers"] == "5"
    assert options["max_cron_threads"] == "0", "web servers never run crons"
    assert int(options["limit_time_real"]) > config.MIN_LIMIT_TIME_REAL
    assert int(options["limit_memory_hard"]) >= int(options["limit_memory_soft"])
    assert options["db_host"] == "db.internal"
    assert options["ipwb_warehouse_host"] == "db.internal", "the warehouse defaults to Odoo's server"
    assert options["server_wide_modules"] == "base,web"


def test_admin_passwd_is_a_hash_odoo_verifies(secret_files: dict[str, str]) -> None:
    options = _render(secret_files)
    password = config.require(secret_files, "IPWB_ADMIN_PASSWD")
    assert options["admin_passwd"].startswith("$pbkdf2-sha512$600000$")
    # the same context as odoo.tools.config.crypt_context
    odoo_context = CryptContext(schemes=["pbkdf2_sha512", "plaintext"], deprecated=["plaintext"])
    assert odoo_context.verify(password, options["admin_passwd"])
    assert not odoo_context.verify(password + "x", options["admin_passwd"])


def test_no_secret_in_the_rendered_file(secret_files: dict[str, str]) -> None:
    for command in ("serve", "cron", "migrate"):
        text = config.render(config.options(secret_files, command, "/addons"))
        values = config.secret_values(secret_files)
        assert len(values) == sum(v.secret for v in config.ENVIRONMENT.values())
        for value in values:
            assert value not in text
    # ... and they reach Odoo's memory through the launcher instead
    odoo_options = config.odoo_secret_options(secret_files)
    assert set(odoo_options) == set(config.ODOO_SECRET_OPTIONS)
    assert odoo_options["db_password"] == config.read(secret_files, "IPWB_DB_PASSWORD")


def test_no_secret_on_any_command_line(secret_files: dict[str, str], tmp_path: pathlib.Path) -> None:
    conf = tmp_path / "odoo.conf"
    steps = entrypoint.migrate_steps(secret_files, conf)
    steps.append(entrypoint._launcher("server", conf))
    argv_text = "\0".join(arg for step in steps for arg in step)
    for value in config.secret_values(secret_files):
        assert value not in argv_text
    assert "-i" in steps[1] and "-u" in steps[1] and "--stop-after-init" in steps[1]
    assert "ipwb_pipeline" in steps[1][steps[1].index("-i") + 1]


def test_cron_and_one_shot_commands(secret_files: dict[str, str]) -> None:
    cron = _render(secret_files | {"IPWB_MAX_CRON_THREADS": "3"}, "cron")
    assert cron["max_cron_threads"] == "3"
    assert cron["workers"] == "1", "prefork keeps memory limits and /web/health for probes"
    migrate = _render(secret_files, "migrate")
    assert migrate["workers"] == "0" and migrate["max_cron_threads"] == "0"


def test_workers_default_to_two_per_cpu_plus_one(
    secret_files: dict[str, str], tmp_path: pathlib.Path
) -> None:
    options = _render(secret_files)
    assert options["workers"] == str(2 * config.available_cpus() + 1)
    (tmp_path / "cpu.max").write_text("150000 100000\n", encoding="ascii")
    assert config.available_cpus(tmp_path) == min(2, config.available_cpus())


def test_write_config_is_private(secret_files: dict[str, str], tmp_path: pathlib.Path) -> None:
    target = tmp_path / "run" / "odoo.conf"
    path = entrypoint.write_config(
        secret_files | {"IPWB_CONFIG_PATH": str(target), "IPWB_ADDONS_PATH": "/a"}, "serve"
    )
    assert path == target
    assert target.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"IPWB_LIMIT_TIME_REAL": "60"}, "statement timeout"),
        ({"IPWB_PROXY_MODE": "maybe"}, "not a boolean"),
        ({"IPWB_WORKERS": "-1"}, "not a non-negative integer"),
        ({"IPWB_DB_NAME": "ipwb;drop"}, "only letters"),
        ({"IPWB_DB_PORT": "x"}, "not an integer"),
        ({"IPWB_ATTACHMENT_LOCATION": "s3"}, "use file or db"),
        ({"IPWB_LIMIT_MEMORY_HARD": str(100 * 1024 * 1024)}, "at least"),
        ({"IPWB_DBFILTER": "^a$\n[options]"}, "several lines"),
    ],
)
def test_bad_settings_are_refused(
    secret_files: dict[str, str], override: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config.options(secret_files | override, "serve", "/addons")


def test_secret_sources_are_checked(secret_files: dict[str, str], tmp_path: pathlib.Path) -> None:
    with pytest.raises(ConfigurationError, match="both set"):
        config.read(secret_files | {"IPWB_DB_PASSWORD": "x"}, "IPWB_DB_PASSWORD")
    missing = secret_files | {"IPWB_DB_PASSWORD_FILE": str(tmp_path / "absent")}
    with pytest.raises(ConfigurationError, match="cannot be read"):
        config.read(missing, "IPWB_DB_PASSWORD")
    no_admin = {k: v for k, v in secret_files.items() if k != "IPWB_ADMIN_PASSWD_FILE"}
    with pytest.raises(ConfigurationError, match="IPWB_ADMIN_PASSWD or IPWB_ADMIN_PASSWD_FILE must be set"):
        config.options(no_admin, "serve", "/addons")


def test_unknown_command_and_bad_config_exit_cleanly(tmp_path: pathlib.Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "ipwb.deploy.entrypoint", "upgrade"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2 and "usage: entrypoint" in run.stderr
    run = subprocess.run(
        [sys.executable, "-m", "ipwb.deploy.entrypoint", "serve"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "IPWB_CONFIG_PATH": str(tmp_path / "c")},
    )
    assert run.returncode == 2
    assert "configuration error: IPWB_DB_HOST must be set" in run.stderr
    assert not (tmp_path / "c").exists()


def test_template_names_only_known_keys() -> None:
    placeholders = set(
        __import__("re").findall(r"\$\{([a-z_]+)\}", config.TEMPLATE.read_text(encoding="utf-8"))
    )
    env = {"IPWB_DB_HOST": "h", "IPWB_ADMIN_PASSWD": "p"}
    assert placeholders == set(config.options(env, "serve", "/a"))
