"""The production configuration of the container image, read from the environment.

Everything the image's entry point reads is listed in :data:`ENVIRONMENT` (manifests and the
App Platform spec are checked against it). A secret is read from ``NAME`` or from the file
named by ``NAME_FILE`` (a mounted Kubernetes Secret), never from the command line.

:func:`render` fills ``deploy/odoo.conf.template``. The rendered file holds no secret in clear:
``admin_passwd`` is a pbkdf2_sha512 hash (the scheme Odoo's own ``crypt_context`` verifies) and
the database and warehouse passwords reach Odoo through :func:`odoo_secret_options`, which
``deploy/launch_odoo.py`` puts into Odoo's in-memory configuration.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import string
from collections.abc import Mapping

from ipwb.errors import ConfigurationError

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "odoo.conf.template"

#: The SQL editor's default per-connection statement timeout (``ipwb.connection.statement_timeout``,
#: seconds); its service gives a running statement that long plus 60 s before declaring it lost.
SQL_EDITOR_STATEMENT_TIMEOUT_S = 30
SQL_EDITOR_GRACE_S = 60
#: An HTTP worker must outlive the longest interactive statement, or Odoo kills the worker
#: before PostgreSQL cancels the statement and the user sees a dropped connection instead of
#: the editor's "statement timed out" message.
MIN_LIMIT_TIME_REAL = SQL_EDITOR_STATEMENT_TIMEOUT_S + SQL_EDITOR_GRACE_S


@dataclasses.dataclass(frozen=True)
class Variable:
    default: str | None
    secret: bool = False
    doc: str = ""


#: Every variable the entry point reads, with its default (None: required by some command).
ENVIRONMENT: dict[str, Variable] = {
    "IPWB_DB_HOST": Variable(None, doc="Odoo database host"),
    "IPWB_DB_PORT": Variable("5432"),
    "IPWB_DB_SSLMODE": Variable("prefer"),
    "IPWB_DB_NAME": Variable("ipwb"),
    "IPWB_DB_USER": Variable("ipwb_odoo"),
    "IPWB_DB_PASSWORD": Variable(None, secret=True),
    "IPWB_DB_ADMIN_USER": Variable(None, doc="provider admin role (migrate/backup/restore)"),
    "IPWB_DB_ADMIN_PASSWORD": Variable(None, secret=True),
    "IPWB_DB_ADMIN_DATABASE": Variable("postgres"),
    "IPWB_WAREHOUSE_DB": Variable("ipwb_warehouse"),
    "IPWB_WAREHOUSE_HOST": Variable(None, doc="default: IPWB_DB_HOST"),
    "IPWB_WAREHOUSE_PORT": Variable(None, doc="default: IPWB_DB_PORT"),
    "IPWB_WH_OWNER_PASSWORD": Variable(None, secret=True),
    "IPWB_WH_READER_PASSWORD": Variable(None, secret=True),
    "IPWB_WH_GRANTS_PASSWORD": Variable(None, secret=True),
    "IPWB_ADMIN_PASSWD": Variable(None, secret=True, doc="Odoo master password (stored hashed)"),
    "IPWB_ODOO_ADMIN_PASSWORD": Variable(None, secret=True, doc="`admin` user's password (migrate)"),
    "IPWB_WORKERS": Variable(None, doc="default 2 x CPU + 1"),
    "IPWB_MAX_CRON_THREADS": Variable("2", doc="cron command only; serve always uses 0"),
    "IPWB_DB_MAXCONN": Variable("16"),
    "IPWB_LIMIT_MEMORY_SOFT": Variable(str(640 * 1024 * 1024)),
    "IPWB_LIMIT_MEMORY_HARD": Variable(str(1024 * 1024 * 1024)),
    "IPWB_LIMIT_TIME_CPU": Variable("600"),
    "IPWB_LIMIT_TIME_REAL": Variable("1200"),
    "IPWB_PROXY_MODE": Variable("true"),
    "IPWB_DBFILTER": Variable(None, doc="default ^<IPWB_DB_NAME>$"),
    "IPWB_SERVER_WIDE_MODULES": Variable("base,web"),
    "IPWB_HTTP_PORT": Variable("8069"),
    "IPWB_GEVENT_PORT": Variable("8072"),
    "IPWB_DATA_DIR": Variable("/var/lib/odoo"),
    "IPWB_ATTACHMENT_LOCATION": Variable("file", doc="file | db (migrate sets ir_attachment.location)"),
    "IPWB_SESSION_STORE": Variable("file", doc="file | db (sessions in PostgreSQL: addons/ipwb_session_db)"),
    "IPWB_WITH_DEMO": Variable("false"),
    "IPWB_LOG_LEVEL": Variable("info"),
    "IPWB_ADDONS_PATH": Variable(None, doc="default: the image's Odoo and workbench addons"),
    "IPWB_ADDONS": Variable(None, doc="addons migrate installs/updates; default: every ipwb_* addon"),
    # /tmp is a per-pod emptyDir in the manifests; the file is created with mode 600
    "IPWB_CONFIG_PATH": Variable("/tmp/ipwb/odoo.conf", doc="where the rendered config goes"),  # noqa: S108
    "IPWB_DB_WAIT_SECONDS": Variable("120", doc="how long to wait for PostgreSQL"),
}

#: Odoo option <- secret variable: set in Odoo's memory by deploy/launch_odoo.py, never in a file.
ODOO_SECRET_OPTIONS: dict[str, str] = {
    "db_password": "IPWB_DB_PASSWORD",
    "ipwb_warehouse_password": "IPWB_WH_READER_PASSWORD",
    "ipwb_warehouse_writer_password": "IPWB_WH_OWNER_PASSWORD",
    "ipwb_warehouse_grants_password": "IPWB_WH_GRANTS_PASSWORD",
}

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_SAFE_VALUE = re.compile(r"^[^\r\n]*$")


#: the server-wide addon that keeps HTTP sessions in PostgreSQL (addons/ipwb_session_db)
SESSION_DB_MODULE = "ipwb_session_db"


def server_wide_modules(configured: str, session_store: str) -> str:
    """The server-wide modules, with the database session store's addon when sessions live in
    the database (it must load before the first request, so it cannot be an ordinary install).

    >>> server_wide_modules("base,web", "db")
    'base,web,ipwb_session_db'
    >>> server_wide_modules("base,web,ipwb_session_db", "db")
    'base,web,ipwb_session_db'
    >>> server_wide_modules("base,web", "file")
    'base,web'
    """
    modules = [m.strip() for m in configured.split(",") if m.strip()]
    if session_store == "db" and SESSION_DB_MODULE not in modules:
        modules.append(SESSION_DB_MODULE)
    return ",".join(modules)


def read(environ: Mapping[str, str], name: str) -> str | None:
    """The value of ``name``: the variable itself, else the content of ``<name>_FILE``.

    >>> read({"IPWB_DB_PORT": "6432"}, "IPWB_DB_PORT")
    '6432'
    >>> read({}, "IPWB_DB_PORT")
    '5432'
    """
    variable = ENVIRONMENT[name]
    value = given(environ, name)
    if value is None or (value == "" and not variable.secret):
        return variable.default
    return value


def given(environ: Mapping[str, str], name: str) -> str | None:
    """What the environment says for ``name``, without its default: ``NAME``, else (secrets
    only) the content of the file ``NAME_FILE`` names; None when neither is set.

    The one reader of the deploy environment: the entry point, provisioning
    (:mod:`ipwb.deploy.dbenv`) and backups (:mod:`ipwb.deploy.backup_env`) all go through it,
    so they agree when both ``NAME`` and ``NAME_FILE`` are set — which is refused, because
    which of two secrets wins must never depend on the command.

    >>> given({}, "IPWB_DB_PASSWORD") is None
    True
    >>> given({"IPWB_DB_PASSWORD": "x", "IPWB_DB_PASSWORD_FILE": "/f"}, "IPWB_DB_PASSWORD")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: IPWB_DB_PASSWORD and IPWB_DB_PASSWORD_FILE are both set: keep one
    """
    if name not in ENVIRONMENT:
        raise KeyError(name)
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE") if ENVIRONMENT[name].secret else None
    if value is not None and file_name:
        raise ConfigurationError(f"{name} and {name}_FILE are both set: keep one")
    if file_name:
        try:
            return pathlib.Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={file_name} cannot be read: {exc.strerror}") from exc
    return value


def require(environ: Mapping[str, str], name: str) -> str:
    value = read(environ, name)
    if not value:
        how = f"{name} or {name}_FILE" if ENVIRONMENT[name].secret else name
        raise ConfigurationError(f"{how} must be set")
    return value


def flag(environ: Mapping[str, str], name: str) -> bool:
    value = (read(environ, name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={value!r} is not a boolean (true/false)")


def integer(environ: Mapping[str, str], name: str, minimum: int = 0) -> int:
    value = read(environ, name) or ""
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not an integer") from None
    if number < minimum:
        raise ConfigurationError(f"{name}={number} is below the minimum {minimum}")
    return number


def available_cpus(cgroup_root: pathlib.Path = pathlib.Path("/sys/fs/cgroup")) -> int:
    """CPUs this container may use: the cgroup CPU quota when one is set, else the affinity."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cgroup_quota(cgroup_root)
    return max(1, min(cpus, int(-(-quota // 1)))) if quota else cpus


def _cgroup_quota(root: pathlib.Path) -> float | None:
    try:  # cgroup v2: "max 100000" or "200000 100000"
        limit, period = (root / "cpu.max").read_text(encoding="ascii").split()
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        limit_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text(encoding="ascii"))
        return None if limit_us <= 0 else limit_us / period_us
    except (OSError, ValueError):
        return None


def default_workers(cpus: int) -> int:
    """Odoo's sizing rule for prefork HTTP workers.

    >>> default_workers(2)
    5
    """
    return 2 * cpus + 1


def hash_admin_passwd(password: str) -> str:
    """pbkdf2_sha512 hash Odoo's ``config.verify_admin_password`` accepts (same rounds)."""
    from passlib.context import CryptContext  # noqa: PLC0415  (Odoo's requirement, hashing only)

    context = CryptContext(schemes=["pbkdf2_sha512"], pbkdf2_sha512__rounds=600_000)
    hashed: str = context.hash(password)
    return hashed


def options(environ: Mapping[str, str], command: str, addons_path: str) -> dict[str, str]:
    """The template's substitutions for ``command`` (``serve``, ``cron``, ``migrate``, ``shell`` ...)."""
    db_name = require(environ, "IPWB_DB_NAME")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", db_name):
        raise ConfigurationError(f"IPWB_DB_NAME={db_name!r}: only letters, digits, _ . - are allowed")
    limit_time_real = integer(environ, "IPWB_LIMIT_TIME_REAL", minimum=1)
    if limit_time_real <= MIN_LIMIT_TIME_REAL:
        raise ConfigurationError(
            f"IPWB_LIMIT_TIME_REAL={limit_time_real} must exceed {MIN_LIMIT_TIME_REAL} s: the SQL editor's "
            f"statement timeout ({SQL_EDITOR_STATEMENT_TIMEOUT_S} s) plus its {SQL_EDITOR_GRACE_S} s grace"
        )
    soft = integer(environ, "IPWB_LIMIT_MEMORY_SOFT", minimum=64 * 1024 * 1024)
    hard = integer(environ, "IPWB_LIMIT_MEMORY_HARD", minimum=64 * 1024 * 1024)
    if hard < soft:
        raise ConfigurationError("IPWB_LIMIT_MEMORY_HARD must be at least IPWB_LIMIT_MEMORY_SOFT")
    workers = read(environ, "IPWB_WORKERS")
    if command == "serve":
        n_workers = int(workers) if workers and workers.isdigit() else default_workers(available_cpus())
        cron_threads = 0
    elif command == "cron":
        # cron servers run schedules and pipeline workers; prefork keeps their memory limits
        n_workers = int(workers) if workers and workers.isdigit() else 1
        cron_threads = integer(environ, "IPWB_MAX_CRON_THREADS", minimum=1)
    else:  # one-shot commands (migrate, shell) run in one process
        n_workers, cron_threads = 0, 0
    if workers and not workers.isdigit():
        raise ConfigurationError(f"IPWB_WORKERS={workers!r} is not a non-negative integer")
    store = (read(environ, "IPWB_ATTACHMENT_LOCATION") or "").lower()
    if store not in {"file", "db"}:
        raise ConfigurationError(f"IPWB_ATTACHMENT_LOCATION={store!r}: use file or db")
    session_store = (read(environ, "IPWB_SESSION_STORE") or "").lower()
    if session_store not in {"file", "db"}:
        raise ConfigurationError(f"IPWB_SESSION_STORE={session_store!r}: use file or db")
    db_host = require(environ, "IPWB_DB_HOST")
    db_port = str(integer(environ, "IPWB_DB_PORT", minimum=1))
    admin_passwd = require(environ, "IPWB_ADMIN_PASSWD")
    values = {
        "addons_path": addons_path,
        "data_dir": require(environ, "IPWB_DATA_DIR"),
        "db_host": db_host,
        "db_port": db_port,
        "db_user": require(environ, "IPWB_DB_USER"),
        "db_name": db_name,
        "db_sslmode": require(environ, "IPWB_DB_SSLMODE"),
        "db_maxconn": str(integer(environ, "IPWB_DB_MAXCONN", minimum=2)),
        "dbfilter": read(environ, "IPWB_DBFILTER") or f"^{re.escape(db_name)}$",
        "admin_passwd": hash_admin_passwd(admin_passwd),
        "proxy_mode": str(flag(environ, "IPWB_PROXY_MODE")),
        "http_port": str(integer(environ, "IPWB_HTTP_PORT", minimum=1)),
        "gevent_port": str(integer(environ, "IPWB_GEVENT_PORT", minimum=1)),
        "workers": str(n_workers),
        "max_cron_threads": str(cron_threads),
        "limit_memory_soft": str(soft),
        "limit_memory_hard": str(hard),
        "limit_time_cpu": str(integer(environ, "IPWB_LIMIT_TIME_CPU", minimum=1)),
        "limit_time_real": str(limit_time_real),
        "server_wide_modules": server_wide_modules(
            require(environ, "IPWB_SERVER_WIDE_MODULES"), session_store
        ),
        "without_demo": "False" if flag(environ, "IPWB_WITH_DEMO") else "all",
        "log_level": require(environ, "IPWB_LOG_LEVEL"),
        "warehouse_host": read(environ, "IPWB_WAREHOUSE_HOST") or db_host,
        "warehouse_port": read(environ, "IPWB_WAREHOUSE_PORT") or db_port,
        "warehouse_db": require(environ, "IPWB_WAREHOUSE_DB"),
        "session_store": session_store,
    }
    for key, value in values.items():
        if not _SAFE_VALUE.match(value):
            raise ConfigurationError(f"the value for {key} spans several lines")
    return values


def render(values: Mapping[str, str], template: pathlib.Path = TEMPLATE) -> str:
    return string.Template(template.read_text(encoding="utf-8")).substitute(values)


def odoo_secret_options(environ: Mapping[str, str]) -> dict[str, str]:
    """Odoo options holding passwords, for Odoo's memory only (never a file, never argv)."""
    return {option: value for option, name in ODOO_SECRET_OPTIONS.items() if (value := read(environ, name))}


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Every secret value configured (tests and log scrubbing)."""
    return [value for name, var in ENVIRONMENT.items() if var.secret and (value := read(environ, name))]
