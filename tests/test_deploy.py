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
    expected = {"Deployment", "Service", "HorizontalPodAutoscaler", "NetworkPolicy", "Secret", "Kustomization"}
    assert expected <= set(kinds)
    listed = set(kinds["Kustomization"]["resources"])
    assert listed == {"deployment.yaml", "service.yaml", "hpa.yaml", "networkpolicy.yaml"}
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


def test_network_policy_admits_the_port_and_lets_replies_out() -> None:
    policy, pods = documents()["NetworkPolicy"]["spec"], documents()["Deployment"]["spec"]["template"]
    assert policy["podSelector"]["matchLabels"].items() <= pods["metadata"]["labels"].items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    (ingress,) = policy["ingress"]
    assert [port["port"] for port in ingress["ports"]] == [container()["ports"][0]["name"]]
    egress = {(port["protocol"], port["port"]) for rule in policy["egress"] for port in rule["ports"]}
    # DNS, and HTTPS to the chat platforms' reply APIs (every *_API_BASE the Deployment sets is https).
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443)} == egress
    bases = [env["value"] for env in container()["env"] if env["name"].endswith("_API_BASE")]
    assert bases and all(base.startswith("https://") for base in bases)


def containerfile() -> str:
    return Path(DEPLOY / "Containerfile").read_text(encoding="utf-8")


def test_the_image_builds_its_index_and_serves() -> None:
    text = containerfile()
    assert "RUN kb index" in text and '"kb", "serve"' in text
    # The index is built by the user that serves it, or kb would not trust the cache and rebuild in memory.
    assert text.index("USER 10001") < text.index("RUN kb index")
    assert documents()["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001
