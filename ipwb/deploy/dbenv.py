"""Database settings of a deployment, read from the environment (the deploy contract).

Every secret is also accepted as ``<NAME>_FILE``: the path of a file holding it (a mounted
Kubernetes Secret, a podman volume), so that no password ever has to be on a command line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ipwb.deploy import config
from ipwb.errors import ConfigurationError

#: the warehouse roles setup/pg.sh creates; their names are fixed (grants.py, the addons)
WH_OWNER = "ipwb_wh_owner"
WH_READER = "ipwb_wh_reader"
WH_GRANTS = "ipwb_wh_grants"

#: Supabase's shared pooler (Supavisor) names a role ``<role>.<project ref>`` in logins
SUPAVISOR_DOMAIN = ".pooler.supabase.com"

#: every variable this package reads (secrets also as ``<NAME>_FILE``)
ENVIRONMENT = (
    "IPWB_DB_HOST",
    "IPWB_DB_PORT",
    "IPWB_DB_SSLMODE",
    "IPWB_DB_NAME",
    "IPWB_DB_USER",
    "IPWB_DB_PASSWORD",
    "IPWB_DB_ADMIN_USER",
    "IPWB_DB_ADMIN_PASSWORD",
    "IPWB_DB_ADMIN_DATABASE",
    "IPWB_WAREHOUSE_DB",
    "IPWB_WAREHOUSE_HOST",
    "IPWB_WAREHOUSE_PORT",
    "IPWB_WH_OWNER_PASSWORD",
    "IPWB_WH_READER_PASSWORD",
    "IPWB_WH_GRANTS_PASSWORD",
    "IPWB_WORKERS",
    "IPWB_MAX_CRON_THREADS",
    "IPWB_DB_MAXCONN",
)
SECRETS = (
    "IPWB_DB_PASSWORD",
    "IPWB_DB_ADMIN_PASSWORD",
    "IPWB_WH_OWNER_PASSWORD",
    "IPWB_WH_READER_PASSWORD",
    "IPWB_WH_GRANTS_PASSWORD",
)


def read_value(environ: Mapping[str, str], name: str, default: str = "") -> str:
    """``name`` from the environment (a secret also from the file ``name_FILE`` names), else
    ``default``; read by the entry point's own rule (:func:`ipwb.deploy.config.given`).

    >>> read_value({"IPWB_DB_HOST": "x"}, "IPWB_DB_HOST"), read_value({}, "IPWB_DB_HOST", "d")
    ('x', 'd')
    """
    return config.given(environ, name) or default


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    text = read_value(environ, name, str(default))
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigurationError(f"{name} must be a TCP port number, not {text!r}")
    return int(text)


@dataclasses.dataclass(frozen=True)
class Server:
    """One PostgreSQL endpoint (host, port, TLS mode)."""

    host: str
    port: int
    sslmode: str = "prefer"

    def describe(self) -> str:
        return f"{self.host}:{self.port}"


@dataclasses.dataclass(frozen=True)
class DbSettings:
    """Who connects where. Passwords are never part of ``repr``."""

    server: Server
    warehouse_server: Server
    odoo_db: str
    odoo_user: str
    odoo_password: str = dataclasses.field(repr=False)
    admin_user: str
    admin_password: str = dataclasses.field(repr=False)
    admin_db: str
    warehouse_db: str
    role_passwords: Mapping[str, str] = dataclasses.field(repr=False)
    workers: int
    max_cron_threads: int
    db_maxconn: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DbSettings:
        host = read_value(environ, "IPWB_DB_HOST")
        if not host:
            raise ConfigurationError("IPWB_DB_HOST is not set: name the PostgreSQL server (host name or IP)")
        sslmode = read_value(environ, "IPWB_DB_SSLMODE", "prefer")
        server = Server(host, _port(environ, "IPWB_DB_PORT", 5432), sslmode)
        warehouse_server = Server(
            read_value(environ, "IPWB_WAREHOUSE_HOST", host),
            _port(environ, "IPWB_WAREHOUSE_PORT", server.port),
            sslmode,
        )
        return cls(
            server=server,
            warehouse_server=warehouse_server,
            odoo_db=read_value(environ, "IPWB_DB_NAME", "ipwb"),
            odoo_user=read_value(environ, "IPWB_DB_USER", "ipwb_odoo"),
            odoo_password=read_value(environ, "IPWB_DB_PASSWORD"),
            admin_user=read_value(environ, "IPWB_DB_ADMIN_USER"),
            admin_password=read_value(environ, "IPWB_DB_ADMIN_PASSWORD"),
            admin_db=read_value(environ, "IPWB_DB_ADMIN_DATABASE", "postgres"),
            warehouse_db=read_value(environ, "IPWB_WAREHOUSE_DB", "ipwb_warehouse"),
            role_passwords={
                WH_OWNER: read_value(environ, "IPWB_WH_OWNER_PASSWORD"),
                WH_READER: read_value(environ, "IPWB_WH_READER_PASSWORD"),
                WH_GRANTS: read_value(environ, "IPWB_WH_GRANTS_PASSWORD"),
            },
            workers=_count(environ, "IPWB_WORKERS", 0),
            max_cron_threads=_count(environ, "IPWB_MAX_CRON_THREADS", 2),
            db_maxconn=_count(environ, "IPWB_DB_MAXCONN", 16),
        )

    @property
    def project_ref(self) -> str:
        """Supabase's project ref when an endpoint is its Supavisor pooler, whose logins are
        ``<role>.<project ref>`` (taken from the admin login, ``postgres.<ref>``), else "".

        >>> s = DbSettings.from_environ({"IPWB_DB_HOST": "aws-0-eu.pooler.supabase.com",
        ...     "IPWB_DB_ADMIN_USER": "postgres.abcd", "IPWB_WAREHOUSE_HOST": "db.abcd.supabase.co"})
        >>> s.project_ref, s.odoo_role, s.login("ipwb_wh_owner", s.server)
        ('abcd', 'ipwb_odoo', 'ipwb_wh_owner.abcd')
        >>> s.admin_kwargs(s.warehouse_server)["user"], s.admin_kwargs(s.server)["user"]
        ('postgres', 'postgres.abcd')
        """
        if not any(server.host.endswith(SUPAVISOR_DOMAIN) for server in (self.server, self.warehouse_server)):
            return ""
        _role, dot, ref = self.admin_user.rpartition(".")
        return ref if dot else ""

    def _role(self, login: str) -> str:
        ref = self.project_ref
        return login.removesuffix(f".{ref}") if ref else login

    @property
    def odoo_role(self) -> str:
        """The role name of Odoo's login (``IPWB_DB_USER`` without a Supavisor suffix)."""
        return self._role(self.odoo_user)

    def login(self, role: str, server: Server) -> str:
        """The login name of ``role`` at ``server``."""
        ref = self.project_ref
        return f"{role}.{ref}" if ref and server.host.endswith(SUPAVISOR_DOMAIN) else role

    def missing_secrets(self) -> list[str]:
        """Names of the variables provisioning needs but that are unset."""
        wanted = {
            "IPWB_DB_ADMIN_USER": self.admin_user,
            "IPWB_DB_ADMIN_PASSWORD": self.admin_password,
            "IPWB_DB_PASSWORD": self.odoo_password,
            "IPWB_WH_OWNER_PASSWORD": self.role_passwords[WH_OWNER],
            "IPWB_WH_READER_PASSWORD": self.role_passwords[WH_READER],
            "IPWB_WH_GRANTS_PASSWORD": self.role_passwords[WH_GRANTS],
        }
        return [name for name, value in wanted.items() if not value]

    def admin_kwargs(self, server: Server, dbname: str | None = None) -> dict[str, Any]:
        """psycopg2.connect keyword arguments for the admin role."""
        login = self.login(self._role(self.admin_user), server)
        return _kwargs(server, dbname or self.admin_db, login, self.admin_password)

    def odoo_kwargs(self, dbname: str | None = None) -> dict[str, Any]:
        """psycopg2.connect keyword arguments for Odoo's runtime role."""
        return _kwargs(
            self.server, dbname or self.odoo_db, self.login(self.odoo_role, self.server), self.odoo_password
        )


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    text = read_value(environ, name, str(default))
    if not text.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, not {text!r}")
    return int(text)


def _kwargs(server: Server, dbname: str, user: str, password: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "sslmode": server.sslmode,
        "dbname": dbname,
        "user": user,
        "application_name": "ipwb-deploy",
        "connect_timeout": 10,
    }
    if password:
        kwargs["password"] = password
    return kwargs
