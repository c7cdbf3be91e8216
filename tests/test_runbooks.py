"""The shipped runbooks: every seed id is there, complete, and cites its seed correctly."""

from __future__ import annotations

import re

import pytest

from kb.loader import load_runbooks
from kb.vocabulary import RunbookKind
from tests.conftest import REPO, RUNBOOKS

SEED_IDS = [
    "istiod-unreachable", "injection-webhook-unreachable", "config-rejected-by-validation",
    "dns-outage-sidecar-crashloop", "sidecar-startup-race", "sidecar-graceful-termination",
    "istio-init-iptables-failure", "subset-no-healthy-upstream", "virtualservice-route-order",
    "app-not-listening-on-pod-ip", "externalname-port-hijack", "server-speaks-first-protocol",
    "service-port-protocol-selection", "grpc-load-imbalance", "idle-connection-reset",
    "consistent-hash-header-case", "websocket-upgrade", "multicluster-service-unreachable",
    "dns-proxy-resolution-failure", "gateway-tls-duplicate-host", "envoy-debug-logging", "xds-walkthrough",
    "istio-install-options",
]  # fmt: skip
PROCEDURES = {"envoy-debug-logging", "xds-walkthrough", "istio-install-options"}

# The headings of the five write-ups in SEEDS.md; an example's `source: "seed N: <heading>"` must name one.
SEED_HEADINGS = {
    1: "Whole company down: istiod starved on an overloaded node (postmortem)",
    2: "502/503 through the gateway: subset without matching pods (review/rating demo)",
    3: "A cloud provider's Istio FAQ (five problems)",
    4: "Whole cluster CrashLoopBackOff after a datacenter network cutover (postmortem)",
    5: "Common Istio problems, part three (a practitioner's list)",
}
AREAS = {"control-plane", "sidecar", "traffic", "gateway", "procedures"}

RESULT = load_runbooks(RUNBOOKS)
CATALOG = RESULT.catalog


def test_seed_list_matches_the_catalog() -> None:
    catalog = (REPO.parent / "shared" / "CATALOG.md").read_text(encoding="utf-8")
    seeds = re.findall(r"^\| ([a-z0-9-]+) \|.*\bSeed\. \|$", catalog, flags=re.MULTILINE)
    assert sorted(seeds) == sorted(SEED_IDS)
    assert len(SEED_IDS) == 23


@pytest.mark.parametrize("runbook_id", SEED_IDS)
def test_seed_runbook_exists_and_is_complete(runbook_id: str) -> None:
    runbook = CATALOG.get(runbook_id)
    expected_kind = RunbookKind.PROCEDURE if runbook_id in PROCEDURES else RunbookKind.INCIDENT
    assert runbook.kind is expected_kind
    assert runbook.title_zh and runbook.summary_zh and runbook.references
    assert runbook.diagnosis and runbook.fix
    if expected_kind is RunbookKind.INCIDENT:
        assert runbook.signatures and runbook.examples and runbook.cause and runbook.impact
        assert any(not ex.source.startswith("seed ") for ex in runbook.examples), "needs a public example"


def test_seed_sources_name_a_real_seed() -> None:
    for runbook in CATALOG:
        for example in runbook.examples:
            if example.source.startswith("seed "):
                number, _, heading = example.source.removeprefix("seed ").partition(": ")
                assert SEED_HEADINGS.get(int(number)) == heading, (runbook.id, example.source)


def test_runbooks_live_in_known_areas() -> None:
    for runbook in CATALOG:
        assert CATALOG.path_of(runbook.id).parent.name in AREAS, runbook.id


def test_no_example_is_shared_between_runbooks() -> None:
    seen: dict[str, str] = {}
    for runbook in CATALOG:
        for example in runbook.examples:
            assert seen.setdefault(example.text, runbook.id) == runbook.id, (runbook.id, seen[example.text])
