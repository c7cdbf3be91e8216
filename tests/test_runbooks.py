"""The shipped runbooks: every seed id is there, complete, and cites its seed correctly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.library import Library, open_library
from kb.loader import load_runbooks, retired_ids
from kb.matcher import match
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
AREAS = {"ambient", "control-plane", "gateway", "procedures", "security", "sidecar", "traffic"}

RESULT = load_runbooks(RUNBOOKS)
CATALOG = RESULT.catalog


# The catalog's ids, shipped in the repository (tests/data/catalog-ids.txt): `id` or `id seed` per line.
CATALOG_ROWS = [
    line.split()
    for line in (REPO / "tests" / "data" / "catalog-ids.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
REQUIRED_IDS = [row[0] for row in CATALOG_ROWS]


def test_seed_list_matches_the_catalog() -> None:
    seeds = [row[0] for row in CATALOG_ROWS if row[1:] == ["seed"]]
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


def test_no_test_reads_the_shared_catalog() -> None:
    """A clone without ../shared must collect: the catalog ids the tests need live in tests/data."""
    for module in (REPO / "tests").glob("*.py"):
        if module.name != "test_runbooks.py":  # this test names the file it looks for
            assert "CATALOG.md" not in module.read_text(encoding="utf-8"), module.name


def test_every_catalog_id_exists() -> None:
    assert len(REQUIRED_IDS) == 40
    assert sorted(set(REQUIRED_IDS) - set(CATALOG.ids)) == []


def test_the_library_is_complete_and_bilingual() -> None:
    assert not RESULT.problems
    assert len(CATALOG) >= 62
    assert len(set(CATALOG.ids) - set(REQUIRED_IDS)) >= 22
    for runbook in CATALOG:
        assert runbook.title_zh and runbook.summary_zh and runbook.symptoms_zh, runbook.id
        assert runbook.references, runbook.id
        if runbook.kind is RunbookKind.INCIDENT:
            assert len(runbook.examples) >= 2, runbook.id


def test_published_ids_are_never_renamed() -> None:
    published = (REPO / "tests" / "data" / "published-ids.txt").read_text(encoding="utf-8").splitlines()
    ids = [line for line in published if line and not line.startswith("#")]
    missing = set(ids) - set(CATALOG.ids) - retired_ids(RUNBOOKS)
    assert not missing, f"published ids disappeared; list them in runbooks/retired-ids.txt: {sorted(missing)}"
    assert len(ids) >= 62


def test_a_retired_id_cannot_be_reused(tmp_path: Path) -> None:
    root = tmp_path / "runbooks"
    root.mkdir()
    shutil.copy(CATALOG.path_of("websocket-upgrade"), root)
    (root / "retired-ids.txt").write_text("# retired\nwebsocket-upgrade  split in two (2027-01-01)\n", encoding="utf-8")
    problems = [p for p in load_runbooks(root).problems if p.field == "id"]
    assert [p.message for p in problems] == [
        "id 'websocket-upgrade' is retired (retired-ids.txt); ids are never reused, choose a new one"
    ]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    opened = open_library(RUNBOOKS, tmp_path_factory.mktemp("cache"))
    yield opened
    opened.close()


def test_every_example_is_answered_by_its_own_runbook_first(library: Library) -> None:
    wrong = []
    for runbook in CATALOG:
        for number, example in enumerate(runbook.examples):
            results = match(example.text, library).results
            top = results[0].runbook.id if results else None
            if top != runbook.id:
                wrong.append(f"{runbook.id} example {number} -> {top}")
    assert wrong == []


def test_no_runbook_is_unreachable(library: Library) -> None:
    """Each runbook is the first answer to one of its own examples, symptoms or its title."""
    unreachable = []
    for runbook in CATALOG:
        texts = [e.text for e in runbook.examples] + list(runbook.symptoms) + [runbook.title]
        if not any((results := match(text, library).results) and results[0].runbook.id == runbook.id for text in texts):
            unreachable.append(runbook.id)
    assert unreachable == []
