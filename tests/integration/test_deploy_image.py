"""The container image end to end, with real podman and no registry.

Builds the debootstrap base (cached per machine), the local PostgreSQL image (cached) and the
workbench image (removed afterwards), serves the `local` kustomize overlay under
`podman kube play` (one pod: PostgreSQL, migrate, web, cron), then: /web/health answers, a
JSON-RPC login works, a pipeline queued on the web server runs on the cron container, no
process command line, container definition, rendered config or image layer holds a password.
Never skipped: when podman cannot work the test fails and says why.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from .conftest import ROOT

pytestmark = [pytest.mark.slow]

PORTS = range(18100, 18200)
SECRET_NAMES = (
    "IPWB_DB_PASSWORD",
    "IPWB_DB_ADMIN_PASSWORD",
    "IPWB_ADMIN_PASSWD",
    "IPWB_ODOO_ADMIN_PASSWORD",
    "IPWB_WH_OWNER_PASSWORD",
    "IPWB_WH_READER_PASSWORD",
    "IPWB_WH_GRANTS_PASSWORD",
)
POSTGRES_IMAGE = "localhost/ipwb-postgres:15"
#: the image's server user (deploy/Containerfile)
IMAGE_UID = 10001


def _run(*command: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode:
        pytest.fail(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done


def _free_port(taken: frozenset[int] = frozenset()) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.fail("no free port in 18100-18199")


def _machine_secrets() -> list[str]:
    """The generated passwords of this checkout (.local/secrets.env): must never reach an image."""
    path = ROOT / ".local" / "secrets.env"
    values = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.startswith("#"):
                values.append(line.split("=", 1)[1].strip().strip("'\""))
    return [v for v in values if len(v) >= 8]


class Deployment:
    def __init__(self, tag: str, workdir: pathlib.Path, port: int) -> None:
        self.tag = tag
        self.workdir = workdir
        self.port = port
        self.name = f"ipwb-it-{uuid.uuid4().hex[:6]}"
        self.pod = f"{self.name}-pod-0"
        self.secrets = {name: secrets.token_urlsafe(24) for name in SECRET_NAMES}
        self.kube_file = workdir / "local.yaml"
        self.settings: dict[str, str] = {}
        self.secrets_dir = workdir / "secrets"

    def container(self, name: str) -> str:
        return f"{self.pod}-{name}"

    def write_secrets(self) -> pathlib.Path:
        directory = self.secrets_dir
        directory.mkdir(mode=0o700)
        for name, value in self.secrets.items():
            path = directory / name
            path.write_text(value, encoding="utf-8")
            os.chown(path, IMAGE_UID, IMAGE_UID)
            path.chmod(0o400)
        os.chown(directory, IMAGE_UID, IMAGE_UID)
        return directory

    def render(self, secrets_dir: pathlib.Path) -> None:
        out = _run("kubectl", "kustomize", str(ROOT / "deploy/kubernetes/overlays/local")).stdout
        docs = [d for d in yaml.safe_load_all(out) if d]
        for doc in docs:
            if doc["kind"] == "ConfigMap":
                doc["metadata"]["name"] = f"{self.name}-config"
                # the plumbing, not the whole suite: the pipeline addon and its dependencies
                doc["data"]["IPWB_ADDONS"] = "ipwb_pipeline"
                self.settings = dict(doc["data"])
                continue
            doc["metadata"]["name"] = self.name
            spec = doc["spec"]["template"]["spec"]
            for container in spec["containers"]:
                if container["image"].startswith("localhost/ipwb:"):
                    container["image"] = self.tag
                for source in container.get("envFrom", []):
                    source["configMapRef"]["name"] = f"{self.name}-config"
                # podman 4.3 publishes every containerPort (on all addresses when no hostIP):
                # each one gets a hostPort of this test's range, on 127.0.0.1
                for port in container.get("ports", []):
                    assert port["hostIP"] == "127.0.0.1", port
                    if port["containerPort"] == 8069:
                        port["hostPort"] = self.port
                    else:
                        port["hostPort"] = _free_port(frozenset({self.port}))
            for volume in spec["volumes"]:
                if volume["name"] == "secrets":
                    volume["hostPath"]["path"] = str(secrets_dir)
        self.kube_file.write_text(yaml.safe_dump_all(docs), encoding="utf-8")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def state(self, container: str) -> dict[str, Any]:
        done = _run("podman", "inspect", "--format", "json", self.container(container), check=False)
        return json.loads(done.stdout)[0]["State"] if done.returncode == 0 else {}

    def logs(self, container: str) -> str:
        return _run("podman", "logs", "--tail", "60", self.container(container), check=False).stderr

    def wait_healthy(self, timeout: float) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            try:
                with urllib.request.urlopen(self.url("/web/health"), timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - start
            except (urllib.error.URLError, OSError):
                pass
            migrate = self.state("migrate")
            if migrate.get("ExitCode") or migrate.get("RestartCount", 0) > 0:
                pytest.fail(f"migrate failed:\n{self.logs('migrate')}")
            for name in ("web", "cron", "postgres"):
                if self.state(name).get("Status") not in ("running", "created", "configured"):
                    pytest.fail(f"{name} is {self.state(name).get('Status')}:\n{self.logs(name)}")
            time.sleep(3)
        pytest.fail(
            f"/web/health did not answer within {timeout:.0f} s:\n{self.logs('migrate')}\n{self.logs('web')}"
        )


class JsonRpc:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def call(self, path: str, params: dict[str, Any]) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}).encode()
        request = urllib.request.Request(self.base + path, body, {"Content-Type": "application/json"})
        with self.opener.open(request, timeout=120) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise AssertionError(json.dumps(answer["error"])[:2000])
        return answer["result"]

    def kw(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.call(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


@pytest.fixture(scope="module")
def images() -> Iterator[str]:
    check = _run(str(ROOT / "setup/containers.sh"), "check", check=False)
    if check.returncode:
        pytest.fail(
            f"podman cannot work here (run setup/containers.sh install):\n{check.stderr}", pytrace=False
        )
    base = _run(str(ROOT / "deploy/base-image.sh"), timeout=1800).stdout.strip()
    if _run("podman", "image", "exists", POSTGRES_IMAGE, check=False).returncode:
        _run(
            "podman", "build", "-q", "-f", str(ROOT / "deploy/postgres/Containerfile"),
            "--build-arg", f"BASE_IMAGE={base}", "-t", POSTGRES_IMAGE, str(ROOT / "deploy/postgres"),
            timeout=1800,
        )  # fmt: skip
    tag = f"localhost/ipwb:it-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    _run(str(ROOT / "deploy/build-image.sh"), tag, timeout=3600)
    size = _run("podman", "image", "inspect", "--format", "{{.Size}}", tag).stdout.strip()
    print(f"\n[deploy-image] build {time.monotonic() - started:.0f} s, image {int(size) / 1e6:.0f} MB, "
          f"load {os.getloadavg()}")  # fmt: skip
    try:
        yield tag
    finally:
        _run("podman", "rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def deployment(images: str) -> Iterator[Deployment]:
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="ipwb-it-deploy-", dir="/var/tmp"))
    workdir.chmod(0o755)
    deployment = Deployment(images, workdir, _free_port())
    deployment.render(deployment.write_secrets())
    before = set(_run("podman", "volume", "ls", "-q").stdout.split())
    try:
        _run("podman", "kube", "play", str(deployment.kube_file), timeout=600)
        elapsed = deployment.wait_healthy(timeout=2400)
        print(f"\n[deploy-image] kube play -> /web/health (migrate included) {elapsed:.0f} s")
        yield deployment
    finally:
        _run("podman", "kube", "down", str(deployment.kube_file), check=False, timeout=300)
        created = set(_run("podman", "volume", "ls", "-q").stdout.split()) - before
        for volume in created:
            _run("podman", "volume", "rm", "-f", volume, check=False)
        shutil.rmtree(workdir, ignore_errors=True)


def test_serves_logs_in_and_runs_a_pipeline_on_the_cron_container(deployment: Deployment) -> None:
    with urllib.request.urlopen(deployment.url("/web/health"), timeout=10) as response:
        assert json.loads(response.read()) == {"status": "pass"}
    rpc = JsonRpc(deployment.url(""))
    with pytest.raises(AssertionError, match=r"AccessDenied|Access Denied"):
        rpc.call("/web/session/authenticate", {"db": "ipwb", "login": "admin", "password": "admin"})
    session = rpc.call(
        "/web/session/authenticate",
        {"db": "ipwb", "login": "admin", "password": deployment.secrets["IPWB_ODOO_ADMIN_PASSWORD"]},
    )
    assert session["uid"] == 2
    # list_db=False: the database manager is disabled even before the ingress blocks it
    with urllib.request.urlopen(deployment.url("/web/database/manager"), timeout=30) as response:
        assert b"database manager has been disabled" in response.read()

    pipeline = rpc.kw("ipwb.pipeline", "create", {"name": "Deploy IT", "code": "deploy_it", "owner_id": 2})
    rpc.kw(
        "ipwb.pipeline.step",
        "create",
        {"pipeline_id": pipeline, "name": "one", "kind": "sql", "sequence": 1,
         "config": json.dumps({"sql": "SELECT 1", "targets": []})},
    )  # fmt: skip
    rpc.kw("ipwb.pipeline", "action_validate", [pipeline])
    action = rpc.kw("ipwb.pipeline", "action_run_now", [pipeline])
    run_id = action["res_id"]
    deadline = time.monotonic() + 600
    while True:
        (run,) = rpc.kw("ipwb.pipeline.run", "read", [run_id], ["state", "worker"])
        if run["state"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert run["state"] == "succeeded", run
    # hostname:pid:thread — the pid is an Odoo process of the cron container (web has no cron)
    pid = run["worker"].split(":")[1]
    cmdline = _run("podman", "exec", deployment.container("cron"), "cat", f"/proc/{pid}/cmdline").stdout
    assert "launch_odoo.py" in cmdline
    config = _run("podman", "exec", deployment.container("web"), "cat", "/tmp/web/odoo.conf").stdout
    assert "max_cron_threads = 0" in config


def test_no_password_on_argv_in_definitions_or_files(deployment: Deployment) -> None:
    values = list(deployment.secrets.values())
    for name in ("migrate", "web", "cron"):
        container = deployment.container(name)
        cmdlines = _run("podman", "exec", container, "sh", "-c", "cat /proc/[0-9]*/cmdline").stdout
        # migrate has finished and idles; web and cron run Odoo through the launcher
        assert ("launch_odoo.py" in cmdlines) == (name != "migrate"), cmdlines.replace("\0", " ")[:2000]
        inspected = _run("podman", "inspect", container).stdout
        rendered = _run("podman", "exec", container, "sh", "-c", "cat /tmp/*/odoo.conf").stdout
        assert "admin_passwd = $pbkdf2-sha512$" in rendered
        for value in values:
            assert value not in cmdlines, f"a password is on a command line in {name}"
            assert value not in inspected, f"a password is in the definition of {name}"
            assert value not in rendered, f"a password is in {name}'s odoo.conf"


def test_no_secret_in_any_image_layer(images: str, deployment: Deployment) -> None:
    needles = [v.encode() for v in [*deployment.secrets.values(), *_machine_secrets()]]
    assert needles
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        archive = pathlib.Path(tmp) / "image.tar"
        _run("podman", "save", "--format", "docker-archive", "-o", str(archive), images, timeout=1200)
        scanned = 0
        with tarfile.open(archive) as outer:
            for member in outer:
                if not member.isfile():
                    continue
                handle = outer.extractfile(member)
                assert handle is not None
                if member.name.endswith(".tar"):
                    with tarfile.open(fileobj=handle) as layer:
                        for entry in layer:
                            if entry.isfile():
                                data = layer.extractfile(entry).read()  # type: ignore[union-attr]
                                scanned += 1
                                leaked = [n for n in needles if n in data]
                                assert not leaked, f"{entry.name} in a layer holds a generated password"
                else:
                    data = handle.read()
                    assert not [n for n in needles if n in data], f"{member.name} holds a generated password"
    assert scanned > 10000, "the layers were really read"


def test_podman_run_to_health(images: str, deployment: Deployment) -> None:
    """A fresh `podman run … serve` in the pod (database migrated): time to /web/health."""
    env = deployment.settings | {"IPWB_HTTP_PORT": "8269", "IPWB_GEVENT_PORT": "8272", "IPWB_WORKERS": "2"}
    env |= {f"{n}_FILE": f"/run/secrets/ipwb/{n}" for n in SECRET_NAMES if n != "IPWB_ODOO_ADMIN_PASSWORD"}
    env_file = deployment.workdir / "run.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    name = f"{deployment.name}-run"
    probe = "import urllib.request as u; u.urlopen('http://127.0.0.1:8269/web/health', timeout=2)"
    started = time.monotonic()
    _run(
        "podman", "run", "-d", "--rm", "--name", name, "--pod", deployment.pod, "--env-file", str(env_file),
        "-v", f"{deployment.secrets_dir}:/run/secrets/ipwb:ro", images, "serve",
    )  # fmt: skip
    try:
        while time.monotonic() - started < 600:
            if _run("podman", "exec", name, "python", "-c", probe, check=False).returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail(
                f"podman run: /web/health did not answer in 600 s:\n{_run('podman', 'logs', name).stderr}"
            )
        elapsed = time.monotonic() - started
        print(f"\n[deploy-image] podman run -> /web/health {elapsed:.1f} s, load {os.getloadavg()}")
    finally:
        _run("podman", "rm", "-f", name, check=False)
