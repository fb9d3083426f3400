"""Where ``ipwb backup`` / ``ipwb restore`` find the databases: the deploy environment.

The same variables as the image's entry point (see the deploy contract in the README's
Deploy section); every secret may also be given as ``<NAME>_FILE`` (a path to a file
holding it, as Kubernetes mounts Secrets), never on the command line.

>>> s = from_environ({"IPWB_DB_HOST": "db", "IPWB_DB_PASSWORD": "x"})
>>> (s.odoo.host, s.odoo.port, s.odoo.dbname, s.odoo.user, s.warehouse.dbname, s.warehouse.host)
('db', 5432, 'ipwb', 'ipwb_odoo', 'ipwb_warehouse', 'db')
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping

from ipwb.deploy import config
from ipwb.errors import ConfigurationError

#: warehouse roles of setup/pg.sh and the provisioning, with the variable holding each password
WAREHOUSE_ROLES: dict[str, str] = {
    "ipwb_wh_owner": "IPWB_WH_OWNER_PASSWORD",
    "ipwb_wh_reader": "IPWB_WH_READER_PASSWORD",
    "ipwb_wh_grants": "IPWB_WH_GRANTS_PASSWORD",
}

#: every variable this module reads (secrets also as ``<NAME>_FILE``)
VARIABLES: tuple[str, ...] = (
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
    "IPWB_DATA_DIR",
    *WAREHOUSE_ROLES.values(),
)


@dataclasses.dataclass(frozen=True)
class Login:
    """One role on one database of one server."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None
    sslmode: str = "prefer"

    def dsn_params(self, dbname: str | None = None) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "host": self.host,
            "port": self.port,
            "dbname": dbname or self.dbname,
            "user": self.user,
            "sslmode": self.sslmode,
            "connect_timeout": 10,
            "application_name": "ipwb-backup",
        }
        if self.password is not None:
            params["password"] = self.password
        return params

    def as_role(self, user: str, password: str | None, dbname: str | None = None) -> Login:
        return dataclasses.replace(self, user=user, password=password, dbname=dbname or self.dbname)


@dataclasses.dataclass(frozen=True)
class BackupSettings:
    odoo: Login  #: Odoo's database, as Odoo's role (owns every object in it)
    warehouse: Login  #: the warehouse, as its owner role
    admin: Login  #: the provider's admin role on the admin database
    data_dir: pathlib.Path
    role_passwords: Mapping[str, str | None]  #: login roles the restore may have to create

    @property
    def filestore(self) -> pathlib.Path:
        return self.data_dir / "filestore" / self.odoo.dbname

    def admin_on(self, target: Login) -> Login:
        """The admin role on ``target``'s server and database: backups and restores run as
        it, so a hardened warehouse (catalogs revoked from ``PUBLIC``) can be dumped too."""
        return dataclasses.replace(self.admin, host=target.host, port=target.port, dbname=target.dbname)


def secret(env: Mapping[str, str], name: str) -> str | None:
    """``NAME`` or the content of the file named by ``NAME_FILE``, by the entry point's own
    rule (:func:`ipwb.deploy.config.given`: both set is refused).

    >>> secret({"IPWB_DB_PASSWORD": "s"}, "IPWB_DB_PASSWORD"), secret({}, "IPWB_DB_PASSWORD")
    ('s', None)
    """
    return config.given(env, name) or None


def _value(env: Mapping[str, str], name: str, default: str) -> str:
    return config.given(env, name) or default


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _value(env, name, str(default))
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigurationError(f"{name} must be a TCP port number, not {raw!r}")
    return int(raw)


def from_environ(env: Mapping[str, str], data_dir: str | None = None) -> BackupSettings:
    host = _value(env, "IPWB_DB_HOST", "127.0.0.1")
    port = _port(env, "IPWB_DB_PORT", 5432)
    sslmode = _value(env, "IPWB_DB_SSLMODE", "prefer")
    odoo_user = _value(env, "IPWB_DB_USER", "ipwb_odoo")
    odoo = Login(
        host, port, _value(env, "IPWB_DB_NAME", "ipwb"), odoo_user, secret(env, "IPWB_DB_PASSWORD"), sslmode
    )
    warehouse = Login(
        _value(env, "IPWB_WAREHOUSE_HOST", host),
        _port(env, "IPWB_WAREHOUSE_PORT", port),
        _value(env, "IPWB_WAREHOUSE_DB", "ipwb_warehouse"),
        "ipwb_wh_owner",
        secret(env, "IPWB_WH_OWNER_PASSWORD"),
        sslmode,
    )
    admin = Login(
        host,
        port,
        _value(env, "IPWB_DB_ADMIN_DATABASE", "postgres"),
        _value(env, "IPWB_DB_ADMIN_USER", "postgres"),
        secret(env, "IPWB_DB_ADMIN_PASSWORD"),
        sslmode,
    )
    passwords: dict[str, str | None] = {odoo_user: odoo.password}
    passwords.update({role: secret(env, var) for role, var in WAREHOUSE_ROLES.items()})
    return BackupSettings(
        odoo=odoo,
        warehouse=warehouse,
        admin=admin,
        data_dir=pathlib.Path(data_dir or _value(env, "IPWB_DATA_DIR", "/var/lib/odoo")),
        role_passwords=passwords,
    )
