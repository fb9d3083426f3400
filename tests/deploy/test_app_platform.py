"""``.do/app.yaml`` (DigitalOcean App Platform) against the repository and the entry point.

The spec must parse, name only commands and paths that exist (the entry point the image
declares, its commands, the health path), and set only variables the entry point reads
(``ipwb.deploy.config.ENVIRONMENT``), secrets never in clear. No DigitalOcean account is
used: what App Platform itself would accept is checked by ``doctl apps spec validate``
(README › Deploy › App Platform), not here.
"""

from __future__ import annotations

import json
import pathlib
import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ipwb.deploy import config, entrypoint

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPEC = ROOT / ".do" / "app.yaml"
#: where deploy/Containerfile copies the repository in the image
IMAGE_ROOT = pathlib.PurePosixPath("/opt/ipwb")
#: variables App Platform binds for a database component
DATABASE_BINDINGS = {"HOSTNAME", "PORT", "USERNAME", "PASSWORD", "DATABASE", "DATABASE_URL", "CA_CERT"}
BINDING = re.compile(r"\$\{(?P<component>[a-z0-9_-]+)\.(?P<name>[A-Z_]+)\}")


def entry_point_environment() -> dict[str, bool]:
    """Variable → is it a secret, from the entry point's own constant."""
    return {name: var.secret for name, var in config.ENVIRONMENT.items()}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def components(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("services", "workers", "jobs"):
        for component in spec.get(kind, []):
            yield kind, component


def all_envs(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for env in spec.get("envs", []):
        yield "app", env
    for _kind, component in components(spec):
        for env in component.get("envs", []):
            yield component["name"], env


def test_spec_has_web_cron_migrate_and_a_managed_database(spec: dict[str, Any]) -> None:
    roles = {c["name"]: (kind, shlex.split(c["run_command"])[1:]) for kind, c in components(spec)}
    assert roles == {
        "web": ("services", ["serve"]),
        "cron": ("workers", ["cron"]),
        "migrate": ("jobs", ["migrate"]),
    }
    (job,) = spec["jobs"]
    assert job["kind"] == "PRE_DEPLOY"
    (database,) = spec["databases"]
    assert database["engine"] == "PG" and database["production"] is True
    (web,) = spec["services"]
    assert web["health_check"]["http_path"] == "/web/health"
    assert web["instance_count"] >= 2  # sessions and attachments in the database make that safe


def test_commands_are_the_image_entry_point_and_its_commands(spec: dict[str, Any]) -> None:
    containerfile = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    declared = [
        line.split(None, 1)[1] for line in containerfile.splitlines() if line.startswith("ENTRYPOINT ")
    ]
    assert len(declared) == 1
    (entry_point,) = json.loads(declared[0])
    commands = entrypoint.COMMANDS
    for _kind, component in components(spec):
        program, *arguments = shlex.split(component["run_command"])
        assert program == entry_point, component["name"]
        assert (ROOT / pathlib.PurePosixPath(program).relative_to(IMAGE_ROOT)).is_file()
        assert arguments and arguments[0] in commands, component["run_command"]
        image = component["image"]
        assert image["registry_type"] == "DOCR" and image["repository"]


def test_env_vars_are_read_by_the_entry_point_and_secrets_are_encrypted(spec: dict[str, Any]) -> None:
    environment = entry_point_environment()
    databases = {db["name"] for db in spec["databases"]}
    for owner, env in all_envs(spec):
        key = env["key"]
        assert key in environment, f"{owner}: {key} is not read by the entry point"
        assert env["scope"] == "RUN_TIME", f"{owner}: {key}"
        if environment[key]:
            assert env.get("type") == "SECRET", f"{owner}: secret {key} must be type SECRET"
            value = env.get("value")
            assert value is None or str(value).startswith("EV["), f"{owner}: {key} holds a secret in clear"
        else:
            assert env.get("type", "GENERAL") == "GENERAL" and "value" in env, f"{owner}: {key}"
            for match in BINDING.finditer(str(env["value"])):
                assert match["component"] in databases and match["name"] in DATABASE_BINDINGS, env


def test_app_platform_storage_choices(spec: dict[str, Any]) -> None:
    """No volumes on App Platform: attachments and sessions in the database, for every component."""
    app = {env["key"]: env.get("value") for env in spec["envs"]}
    assert app["IPWB_ATTACHMENT_LOCATION"] == "db"
    assert app["IPWB_SESSION_STORE"] == "db"
    assert app["IPWB_DB_SSLMODE"] == "require"
    for _kind, component in components(spec):
        keys = {env["key"] for env in component.get("envs", [])}
        assert not keys & {"IPWB_ATTACHMENT_LOCATION", "IPWB_SESSION_STORE", "IPWB_DATA_DIR"}, component[
            "name"
        ]


def test_admin_credentials_reach_only_the_migration_job(spec: dict[str, Any]) -> None:
    holders = {owner for owner, env in all_envs(spec) if env["key"].startswith("IPWB_DB_ADMIN_")}
    assert holders == {"migrate"}
    holders = {owner for owner, env in all_envs(spec) if env["key"] == "IPWB_ODOO_ADMIN_PASSWORD"}
    assert holders == {"migrate"}


def test_web_workers_fit_the_database_connection_budget(spec: dict[str, Any]) -> None:
    """README › Managed PostgreSQL's arithmetic: web instances * (IPWB_WORKERS + 1) * db_maxconn
    + cron instances * IPWB_MAX_CRON_THREADS * db_maxconn under the plan's limit (the sizing
    table's db-s-2vcpu-4gb: 25 per GiB minus 3 reserved = 97)."""
    values = dict(env_pairs(spec))
    (web,) = spec["services"]
    (cron,) = spec["workers"]
    web_env = {env["key"]: env["value"] for env in web["envs"]}
    cron_env = {env["key"]: env["value"] for env in cron["envs"]}
    maxconn = int(values["IPWB_DB_MAXCONN"])
    per_web = (int(web_env["IPWB_WORKERS"]) + 1) * maxconn
    per_cron = int(cron_env["IPWB_MAX_CRON_THREADS"]) * maxconn
    total = web["instance_count"] * per_web + cron["instance_count"] * per_cron
    assert total <= 4 * 25 - 3, total


def env_pairs(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for env in spec["envs"]:
        yield env["key"], str(env.get("value"))
