"""Secrets never reach standard output or error messages of the set-up scripts and the engine."""

import os
import subprocess
from pathlib import Path

import pytest

from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Zq9fakeAdminSecretXy7"


def _run_banner(tmp_path: Path) -> str:
    """Execute setup/common.sh's ``run_banner`` (what setup/run.sh prints once Odoo answers)
    with a fake secrets.env loaded into the environment, as run.sh has it."""
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"IPWB_ODOO_ADMIN_PASSWORD={SECRET}\n")
    script = (
        f'. "{ROOT}/setup/common.sh"; set -a; . "{secrets}"; set +a; '
        "run_banner 8069 ipwb ipwb_warehouse 55432"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
    )
    return done.stdout + done.stderr


def test_run_banner_tells_where_the_admin_password_is_not_what_it_is(tmp_path: Path) -> None:
    out = _run_banner(tmp_path)
    assert SECRET not in out
    assert "http://localhost:8069" in out
    assert f"IPWB_ODOO_ADMIN_PASSWORD in {ROOT}/.local/secrets.env" in out


def test_run_sh_prints_its_banner_through_run_banner() -> None:
    """run.sh has no banner of its own any more: the tested function is the one it calls."""
    calls = [
        line.split()
        for line in (ROOT / "setup/run.sh").read_text().splitlines()
        if line.strip().startswith("run_banner")
    ]
    assert calls == [["run_banner", '"$http_port"', '"$odoo_db"', '"$warehouse_db"', '"$IPWB_PG_PORT"']]


@pytest.mark.parametrize(
    "dsn",
    [
        f"host=db dbname=wh user=u password=ab {SECRET}",
        f"host=db dbname=wh password='{SECRET}",
        f"postgresql://u:{SECRET}@db/wh?sslmode={SECRET}&x={SECRET}",
    ],
)
def test_invalid_dsn_error_never_repeats_the_connection_string(dsn: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        WarehouseConfig.from_dsn(dsn)
    assert SECRET not in str(caught.value)
    assert "Invalid connection string" in str(caught.value)
