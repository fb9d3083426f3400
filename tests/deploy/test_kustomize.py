"""Every kustomize overlay renders (kubectl kustomize) and validates offline against the
Kubernetes schemas (kubernetes-validate); the manifests agree with the entry point."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
from typing import Any

import kubernetes_validate
import pytest
import yaml

from ipwb.deploy import config

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
TARGETS = ("base", "overlays/local", "overlays/doks")
#: kubectl 1.32 ships with these machines; DOKS offers 1.31-1.33
KUBERNETES_VERSION = "1.32.0"
_QUANTITY = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def render(target: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is missing: these machines ship kubectl 1.32 (kustomize v5.5)", pytrace=False)
    out = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE / target)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}"
    return matches[0]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def ipwb_containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job", "CronJob"):
            spec = pod_spec(doc)
            for container in spec.get("initContainers", []) + spec["containers"]:
                if "ipwb-postgres" not in container["image"]:
                    found.append(container)
    return found


def memory_bytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", quantity)
    assert match, quantity
    return int(match.group(1)) * _QUANTITY[match.group(2)]


@pytest.mark.parametrize("target", TARGETS)
def test_renders_and_validates(target: str) -> None:
    docs = render(target)
    assert docs
    for doc in docs:
        # strict: unknown fields (typos) are errors too
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("target", TARGETS)
def test_only_variables_the_entry_point_reads(target: str) -> None:
    configmap = by_kind(render(target), "ConfigMap", "ipwb-config")
    names = set(configmap["data"])
    for container in ipwb_containers(render(target)):
        names |= {env["name"] for env in container.get("env", [])}
        assert not any("valueFrom" in env for env in container.get("env", [])), "secrets come as files"
    secret_files = {f"{name}_FILE" for name, var in config.ENVIRONMENT.items() if var.secret}
    unknown = names - set(config.ENVIRONMENT) - secret_files
    assert not unknown
    plain_secrets = names & {name for name, var in config.ENVIRONMENT.items() if var.secret}
    assert not plain_secrets, "no secret value in a manifest"


def test_web_and_cron_servers() -> None:
    docs = render("base")
    soft = int(by_kind(docs, "ConfigMap", "ipwb-config")["data"]["IPWB_LIMIT_MEMORY_SOFT"])
    cron_threads = int(by_kind(docs, "ConfigMap", "ipwb-config")["data"]["IPWB_MAX_CRON_THREADS"])
    for name, command in (("ipwb-web", "serve"), ("ipwb-cron", "cron")):
        (container,) = pod_spec(by_kind(docs, "Deployment", name))["containers"]
        assert container["args"] == [command]
        env = {e["name"]: e.get("value") for e in container["env"]}
        workers = int(env["IPWB_WORKERS"])
        cpus = int(container["resources"]["limits"]["cpu"])
        processes = workers + (cron_threads if command == "cron" else 0)
        if command == "serve":
            assert workers == config.default_workers(cpus), "workers = 2 x CPU + 1"
        # every worker may reach the soft limit; the rest covers the master and gevent processes
        limit = memory_bytes(container["resources"]["limits"]["memory"])
        assert limit >= processes * soft + 256 * 1024**2, name
        assert container["startupProbe"]["httpGet"]["path"] == "/web/health"
        assert container["livenessProbe"]["httpGet"]["path"] == "/web/health"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/var/lib/odoo", "/tmp"} <= mounts


def test_ingress_routes_websocket_and_blocks_the_database_manager() -> None:
    docs = render("base")
    ingress = by_kind(docs, "Ingress", "ipwb")
    assert ingress["spec"]["tls"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/hsts"] == "true"
    assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    assert "Secure" in annotations["nginx.ingress.kubernetes.io/proxy-cookie-path"]
    paths = {p["path"]: p["backend"]["service"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths["/websocket"] == {"name": "ipwb-web", "port": {"name": "websocket"}}
    assert paths["/"] == {"name": "ipwb-web", "port": {"name": "http"}}
    blocked = by_kind(docs, "Service", paths["/web/database"]["name"])
    assert "selector" not in blocked["spec"], "no endpoints: the database manager is unreachable"
    web = by_kind(docs, "Service", "ipwb-web")
    ports = {p["name"]: p["port"] for p in web["spec"]["ports"]}
    assert ports == {"http": 8069, "websocket": 8072}


def test_local_overlay_fits_podman_kube_play() -> None:
    docs = render("overlays/local")
    assert sorted(d["kind"] for d in docs) == ["ConfigMap", "Deployment"]
    spec = pod_spec(by_kind(docs, "Deployment", "ipwb-web"))
    names = [c["name"] for c in spec["containers"]]
    assert names == ["migrate", "postgres", "web", "cron"]
    assert "secretKeyRef" not in yaml.safe_dump(docs), "podman 4.3 fails on secretKeyRef"
    web = spec["containers"][names.index("web")]
    assert all(p["hostIP"] == "127.0.0.1" for p in web["ports"])
    secrets = next(v for v in spec["volumes"] if v["name"] == "secrets")
    assert set(secrets) == {"name", "hostPath"}
    cron_env = {e["name"]: e.get("value") for e in spec["containers"][names.index("cron")]["env"]}
    assert cron_env["IPWB_HTTP_PORT"] != "8069", "one network namespace: cron needs its own ports"


def test_doks_overlay_migrates_with_a_job() -> None:
    docs = render("overlays/doks")
    job = by_kind(docs, "Job", "ipwb-migrate")
    assert pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert by_kind(docs, "Deployment", "ipwb-cron")["spec"]["replicas"] == 2
    data = by_kind(docs, "ConfigMap", "ipwb-config")["data"]
    assert data["IPWB_ATTACHMENT_LOCATION"] == "db" and data["IPWB_DB_SSLMODE"] == "require"
    assert not [d for d in docs if d["kind"] == "Secret"], (
        "the Secret is created out of band, never committed"
    )
    cron = by_kind(docs, "CronJob", "ipwb-backup")
    assert pod_spec(cron)["containers"][0]["args"] == ["backup", "--output", "/backups"]
