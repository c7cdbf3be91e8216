"""Versions as data: ranges, the view of a runbook for one release, the Istio facts and the CRD schemas."""

from __future__ import annotations

import json
import re

import pytest

import kb
from kb.crd_schemas import schema_problems, snapshots
from kb.errors import UsageError
from kb.facts import load_facts
from kb.loader import load_runbooks
from kb.versions import for_release, parse_range, parse_release
from tests.conftest import DATA, REPO, RUNBOOKS, run_kb

VERSIONS = DATA / "versions"


@pytest.mark.parametrize(
    ("text", "release", "admitted"),
    [
        (">=1.24", "1.23", False),
        (">=1.24", "1.24", True),
        (">=1.25.4", "1.25", True),  # some 1.25 patch is admitted, so the minor line is
        (">=1.25.4", "1.25.3", False),
        (">=1.22, <1.24", "1.23.9", True),
        (">=1.22, <1.24", "1.24", False),
        ("<1.18", "1.17", True),
        ("<=1.14", "1.14.7", True),
        ("==1.14", "1.14.2", True),
        ("==1.14", "1.15", False),
        (">1.10", "1.10.0", False),
        (">1.10", "1.10.1", True),
    ],
)
def test_a_range_admits_a_release_or_its_minor_line(text: str, release: str, admitted: bool) -> None:
    assert parse_range(text).admits(parse_release(release)) is admitted


def test_meet_narrows_and_can_be_empty() -> None:
    assert parse_range(">=1.10").meet(parse_range(">=1.24")).text == ">=1.24"
    assert parse_range(">=1.10").meet(parse_range("<1.18")).text == ">=1.10, <1.18"
    assert parse_range(">=1.10").meet(parse_range("<1.9")).empty
    assert not parse_range(">=1.10").meet(parse_range("<1.10.1")).empty


@pytest.mark.parametrize("bad", ["1", "1.x", "latest", "1.22.0-rc.1", ""])
def test_a_bad_release_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match="not an Istio release"):
        parse_release(bad)


def versioned() -> kb.Runbook:
    (runbook,) = load_runbooks(VERSIONS).catalog
    return runbook


def test_for_release_keeps_what_holds_and_lists_what_does_not() -> None:
    old = for_release(versioned(), "1.22")
    assert [step.text for step in old.runbook.diagnosis] == ["Look at the proxy log."]
    assert [s.name for s in old.runbook.signatures] == ["uh-flag"]
    assert old.runbook.version_notes == ()
    assert [(d.section, d.index, d.istio) for d in old.differences] == [
        ("diagnosis", 1, ">=1.24"),
        ("signatures", 1, ">=1.26"),
        ("version_notes", 0, ">=1.24"),
    ]
    assert old.applies
    new = for_release(versioned(), "1.26.1")
    assert (len(new.runbook.diagnosis), len(new.runbook.signatures), new.differences) == (2, 2, ())


def test_for_release_says_when_the_runbook_does_not_apply() -> None:
    view = for_release(versioned(), "1.18")
    assert not view.applies
    assert view.notes()[0] == "versioned-incident is written for Istio >=1.20, not for 1.18"


def test_for_release_is_on_the_public_surface() -> None:
    assert kb.for_release is for_release and kb.parse_release is parse_release


def test_show_with_istio_prints_only_what_holds_and_what_was_left_out() -> None:
    result = run_kb("show", "versioned-incident", "--istio", "1.22", "--runbooks", str(VERSIONS))
    assert result.returncode == 0, result.stderr
    assert "for Istio 1.22, left out: diagnosis[1] holds for Istio >=1.24 only: Read the new status condition." in (
        result.stdout
    )
    diagnosis = result.stdout.split("DIAGNOSIS", 1)[1].split("FIX", 1)[0]
    assert "Read the new status condition" not in diagnosis
    assert "BY VERSION" not in result.stdout


def test_show_without_istio_labels_version_limited_steps() -> None:
    result = run_kb("show", "versioned-incident", "--runbooks", str(VERSIONS))
    assert "2. Read the new status condition. [Istio >=1.24]" in result.stdout
    assert "BY VERSION\n  - [Istio >=1.24] Policy status conditions exist from 1.24." in result.stdout


def test_show_json_with_istio_drops_the_steps_and_says_so_on_stderr() -> None:
    result = run_kb("show", "versioned-incident", "--json", "--istio", "1.22", "--runbooks", str(VERSIONS))
    assert len(json.loads(result.stdout)["diagnosis"]) == 1
    assert "left out: diagnosis[1]" in result.stderr


def test_show_with_a_bad_istio_exits_2() -> None:
    result = run_kb("show", "versioned-incident", "--istio", "one.two", "--runbooks", str(VERSIONS))
    assert (result.returncode, result.stdout) == (2, "")
    assert "not an Istio release: 'one.two'" in result.stderr


def test_match_with_istio_scores_only_signatures_that_hold() -> None:
    paste = b'"GET / HTTP/1.1" 503 UH no_healthy_upstream brand new proxy message\n'
    args = ("match", "--json", "--runbooks", str(VERSIONS))
    new = json.loads(run_kb(*args, "--istio", "1.26", stdin=paste).stdout)["results"][0]
    old = run_kb(*args, "--istio", "1.22", stdin=paste)
    oldest = json.loads(old.stdout)["results"][0]
    assert {e["signature"] for e in new["evidence"]} >= {"uh-flag", "new-message"}
    assert "new-message" not in {e["signature"] for e in oldest["evidence"]}
    assert oldest["score"] < new["score"]
    assert "left out: diagnosis[1]" in old.stderr


def test_match_with_istio_drops_runbooks_that_do_not_apply() -> None:
    paste = b'"GET / HTTP/1.1" 503 UH no_healthy_upstream\n'
    result = run_kb("match", "--json", "--istio", "1.18", "--runbooks", str(VERSIONS), stdin=paste)
    assert json.loads(result.stdout)["results"] == []


def test_facts_record_the_tags_they_were_read_from() -> None:
    data = json.loads((REPO / "kb" / "data" / "istio-facts.json").read_text(encoding="utf-8"))
    assert data["generated_by"] == "scripts/istio_facts.py"
    commits = data["sources"]["istio/istio"]
    assert all(re.fullmatch(r"[0-9a-f]{40}", commit) for commit in commits.values())
    assert {"1.22.0", "1.25.4", "1.26.1"} <= set(commits)


def test_facts_hold_the_versions_issue_14_found() -> None:
    facts = load_facts()
    assert facts.codes["IST0173"]["lines"]["1.25"] == "1.25.4"
    assert facts.codes["IST0173"]["lines"]["1.26"] == "1.26.1"
    assert facts.codes["IST0145"]["first"] == "1.11.0"
    assert facts.terms["WaypointAccepted"]["lines"][0] == "1.24"
    assert facts.terms["ResolvedWaypoints"]["lines"][0] == "1.26"
    assert facts.in_spans(facts.pairs["waypoint status"], "1.23")
    assert not facts.in_spans(facts.pairs["waypoint status"], "1.22")
    assert facts.defaults["1.14"]["PILOT_SEND_UNHEALTHY_ENDPOINTS"] == "true"
    assert facts.defaults["1.15"]["PILOT_SEND_UNHEALTHY_ENDPOINTS"] == "false"
    assert "EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY" not in facts.defaults["1.23"]
    assert facts.defaults["1.24"]["EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY"] == "true"


def test_every_shipped_runbook_passes_the_version_and_schema_rules() -> None:
    result = load_runbooks(RUNBOOKS)
    assert [str(p) for p in result.problems] == []


def test_schema_snapshots_are_the_oldest_and_newest_a_range_admits() -> None:
    assert snapshots(parse_range(">=1.5")) == ["1.5.0", "1.30.3"]
    assert snapshots(parse_range(">=1.11")) == ["1.22.0", "1.30.3"]
    assert snapshots(parse_range(">=1.6, <1.9")) == ["1.5.0"]


def test_a_valid_resource_passes_and_an_unknown_kind_group_is_left_alone() -> None:
    resource = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "DestinationRule",
        "metadata": {"name": "r"},
        "spec": {"host": "r", "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}}},
    }
    assert list(schema_problems(resource, {}, parse_range(">=1.10"))) == []
    assert (
        list(schema_problems({"apiVersion": "apps/v1", "kind": "Deployment", "x": 1}, {}, parse_range(">=1.10"))) == []
    )


def test_schema_data_is_compact_and_records_its_tags() -> None:
    path = REPO / "kb" / "data" / "crd-schemas.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["sources"]["istio/istio"]) == set(data["releases"])
    assert "description" not in path.read_text(encoding="utf-8")
    assert path.stat().st_size < 500_000
