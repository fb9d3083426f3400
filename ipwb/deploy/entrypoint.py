"""Container entry point: ``entrypoint.sh COMMAND [ARGS...]`` (see README › Deploy).

Commands: ``serve`` (web: prefork workers, no cron), ``cron`` (schedules and pipeline workers),
``migrate`` (provision roles/databases, then install or update the addons; never run by serve
or cron), ``backup`` / ``restore`` (``ipwb backup|restore``), ``shell`` (Odoo shell).

Configuration comes from the environment listed in :data:`ipwb.deploy.config.ENVIRONMENT`;
secrets from ``NAME`` or ``NAME_FILE``. Nothing secret is put on a command line: child
processes get the same environment and read the secrets themselves.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys
import time
from collections.abc import Mapping, Sequence

import psycopg2

from ipwb.deploy import config
from ipwb.errors import ConfigurationError, IpwbError

LAUNCHER = config.ROOT / "deploy" / "launch_odoo.py"
COMMANDS = ("serve", "cron", "migrate", "backup", "restore", "shell")


def odoo_dir() -> pathlib.Path:
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.origin:
        raise ConfigurationError("Odoo is not importable in this Python")
    return pathlib.Path(spec.origin).resolve().parents[1]


def default_addons_path() -> str:
    odoo = odoo_dir()
    return ",".join(str(p) for p in (odoo / "addons", odoo / "odoo" / "addons", config.ROOT / "addons"))


def workbench_addons(addons_dir: pathlib.Path = config.ROOT / "addons") -> list[str]:
    """Every installable workbench addon (``ipwb_*`` with a manifest)."""
    return sorted(p.parent.name for p in addons_dir.glob("ipwb_*/__manifest__.py"))


def write_config(environ: Mapping[str, str], command: str) -> pathlib.Path:
    # the settings are checked before Odoo is looked for: a bad setting is the likelier mistake
    values = config.options(environ, command, config.read(environ, "IPWB_ADDONS_PATH") or "")
    values["addons_path"] = values["addons_path"] or default_addons_path()
    text = config.render(values)
    path = pathlib.Path(config.require(environ, "IPWB_CONFIG_PATH"))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def _connect(environ: Mapping[str, str], *, admin: bool) -> psycopg2.extensions.connection:
    user_var, password_var = (
        ("IPWB_DB_ADMIN_USER", "IPWB_DB_ADMIN_PASSWORD") if admin else ("IPWB_DB_USER", "IPWB_DB_PASSWORD")
    )
    return psycopg2.connect(
        host=config.require(environ, "IPWB_DB_HOST"),
        port=config.require(environ, "IPWB_DB_PORT"),
        sslmode=config.require(environ, "IPWB_DB_SSLMODE"),
        user=config.require(environ, user_var),
        password=config.require(environ, password_var),
        dbname=config.require(environ, "IPWB_DB_ADMIN_DATABASE" if admin else "IPWB_DB_NAME"),
        connect_timeout=5,
        application_name="ipwb-entrypoint",
    )


#: System parameter ``migrate`` sets last: serve/cron start only on a fully migrated database.
MIGRATED_PARAMETER = "ipwb.deploy.migrated"


def _initialised(conn: psycopg2.extensions.connection) -> bool:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('public.ir_config_parameter') IS NOT NULL")
        row = cur.fetchone()
        if not row or not row[0]:
            return False
        cur.execute("SELECT 1 FROM ir_config_parameter WHERE key = %s", (MIGRATED_PARAMETER,))
        return cur.fetchone() is not None


def wait_for_postgres(environ: Mapping[str, str], *, admin: bool, initialised: bool) -> None:
    """Wait until PostgreSQL accepts the login (and, for serve/cron, ``migrate`` has run)."""
    deadline = time.monotonic() + config.integer(environ, "IPWB_DB_WAIT_SECONDS", minimum=0)
    last = reported = ""
    next_report = 0.0
    while True:
        try:
            conn = _connect(environ, admin=admin)
            try:
                if not initialised or _initialised(conn):
                    return
                last = "the database is not initialised: run the migrate command first"
            finally:
                conn.close()
        except psycopg2.OperationalError as exc:
            last = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if time.monotonic() >= deadline:
            raise ConfigurationError(f"PostgreSQL is not ready: {last}")
        if last != reported or time.monotonic() >= next_report:  # quiet: once a minute
            print(f"[ipwb] waiting for PostgreSQL: {last}", file=sys.stderr, flush=True)
            reported, next_report = last, time.monotonic() + 60
        time.sleep(2)


def refuse_transaction_pooler(environ: Mapping[str, str]) -> None:
    """Refuse to start a web or cron server behind a transaction-mode pooler.

    Odoo would start and serve pages, but its bus and cron LISTEN would silently stop
    receiving notifications; the same check ``migrate`` runs (``ipwb.deploy.preflight``), as
    Odoo's own role, so a pooler switched to transaction mode after the rollout is caught too.
    """
    from ipwb.deploy import dbenv, preflight  # noqa: PLC0415  (serve/cron only)

    preflight.run_runtime_checks(dbenv.DbSettings.from_environ(environ))


def _launcher(mode: str, conf: pathlib.Path, *args: str) -> list[str]:
    return [sys.executable, str(LAUNCHER), mode, "-c", str(conf), *args]


def migrate_steps(environ: Mapping[str, str], conf: pathlib.Path) -> list[list[str]]:
    addons = config.read(environ, "IPWB_ADDONS") or ",".join(workbench_addons())
    if not all(name.isidentifier() for name in addons.split(",")):
        raise ConfigurationError(f"IPWB_ADDONS={addons!r} is not a comma-separated list of addon names")
    return [
        # roles and databases with the provider's admin role (deploy-pg's ipwb.deploy.provision)
        [sys.executable, "-m", "ipwb.deploy.provision"],
        # -i installs what is missing, -u updates what is installed: one idempotent command
        _launcher("server", conf, "-i", addons, "-u", addons, "--stop-after-init", "--no-http"),
        _launcher("post-migrate", conf),
    ]


def run(argv: Sequence[str], environ: Mapping[str, str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: entrypoint {{{'|'.join(COMMANDS)}}} [ARGS...]", file=sys.stderr)
        return 2
    command, rest = argv[0], list(argv[1:])
    if command in ("backup", "restore"):
        os.execv(sys.executable, [sys.executable, "-m", "ipwb.cli", command, *rest])  # noqa: S606
    conf = write_config(environ, command)
    if command in ("serve", "cron"):
        wait_for_postgres(environ, admin=False, initialised=False)
        refuse_transaction_pooler(environ)
        wait_for_postgres(environ, admin=False, initialised=True)
        os.execv(sys.executable, _launcher("server", conf, *rest))  # noqa: S606
    if command == "shell":
        wait_for_postgres(environ, admin=False, initialised=True)
        os.execv(sys.executable, _launcher("shell", conf, *rest))  # noqa: S606
    wait_for_postgres(environ, admin=True, initialised=False)
    import subprocess  # noqa: PLC0415  (migrate only)

    for step in migrate_steps(environ, conf):
        print(f"[ipwb] migrate: {' '.join(step[1:3])}", file=sys.stderr, flush=True)
        code = subprocess.call(step)  # noqa: S603  (our own interpreter and scripts, no secrets)
        if code:
            print(f"[ipwb] migrate failed at: {' '.join(step[1:3])} (exit {code})", file=sys.stderr)
            return code
    return 0


def main() -> int:
    try:
        return run(sys.argv[1:], os.environ)
    except ConfigurationError as exc:
        print(f"[ipwb] configuration error: {exc}", file=sys.stderr)
        return exc.exit_code
    except IpwbError as exc:  # e.g. PostgreSQL went away between the wait and the pooler check
        print(f"[ipwb] {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
