"""deploy/: the manifests parse, probe paths the app serves, set resource requests and read secrets from a Secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kb_api import ApiSettings, create_app

from tests.conftest import REPO

DEPLOY = REPO / "deploy"


def documents() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert document["apiVersion"] and document["kind"], path
            found[document["kind"]] = document
    return found


def container() -> dict[str, Any]:
    (only,) = documents()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(only)


def test_every_manifest_parses_and_kustomize_lists_them() -> None:
    kinds = documents()
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Secret", "Kustomization"} <= set(kinds)
    listed = set(kinds["Kustomization"]["resources"])
    assert listed == {"deployment.yaml", "service.yaml", "hpa.yaml"}
    assert all((DEPLOY / "kubernetes" / name).is_file() for name in listed)


def test_probes_name_paths_the_app_serves() -> None:
    paths = set(create_app(ApiSettings(cache_dir="off")).openapi()["paths"])
    main = container()
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
    port = main["ports"][0]
    assert (
        main["readinessProbe"]["httpGet"]["port"]
        == port["name"]
        == documents()["Service"]["spec"]["ports"][0]["targetPort"]
    )
    assert str(port["containerPort"]) in main["args"] and f"EXPOSE {port['containerPort']}" in containerfile()


def test_resources_are_requested() -> None:
    requests = container()["resources"]["requests"]
    assert requests["cpu"] and requests["memory"]
    assert container()["resources"]["limits"]["memory"]


def test_secrets_come_from_a_secret_the_settings_know() -> None:
    (source,) = container()["envFrom"]
    secret = documents()["Secret"]
    assert source["secretRef"]["name"] == secret["metadata"]["name"]
    fields = {f"KB_{name.upper()}" for name in ApiSettings.model_fields}
    assert set(secret["stringData"]) <= fields
    credentials = ("SECRET", "TOKEN", "KEY", "CORP_ID", "APP_ID", "AGENT_ID")
    assert {name for name in fields if name.endswith(credentials)} == set(secret["stringData"])


def test_the_secret_example_as_is_leaves_every_adapter_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in documents()["Secret"]["stringData"].items():
        monkeypatch.setenv(name, value)  # every key blank, as the example ships
    settings = ApiSettings()
    assert settings.wecom_agent_id is None and settings.feishu_app_secret is None
    for name in container()["env"]:
        monkeypatch.setenv(name["name"], name["value"])
    assert ApiSettings().feishu_api_base == "https://open.feishu.cn"


def test_autoscaler_targets_the_deployment() -> None:
    target = documents()["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", documents()["Deployment"]["metadata"]["name"])


def containerfile() -> str:
    return Path(DEPLOY / "Containerfile").read_text(encoding="utf-8")


def test_the_image_builds_its_index_and_serves() -> None:
    text = containerfile()
    assert "RUN kb index" in text and '"kb", "serve"' in text
    # The index is built by the user that serves it, or kb would not trust the cache and rebuild in memory.
    assert text.index("USER 10001") < text.index("RUN kb index")
    assert documents()["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001
