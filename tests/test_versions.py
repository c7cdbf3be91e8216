"""Versions as data: ranges, the view of a runbook for one release, the Istio facts and the CRD schemas."""

from __future__ import annotations

import json
import re

import pytest
import yaml

import kb
from kb.checks import VERSION_RANGE
from kb.crd_schemas import schema_problems, snapshots
from kb.errors import UsageError
from kb.facts import command_path, load_facts, shipping_range, version_problems
from kb.loader import load_runbooks
from kb.versions import for_release, label, parse_range, parse_release
from tests.conftest import DATA, REPO, RUNBOOKS, run_kb

VERSIONS = DATA / "versions"
PATCHES = DATA / "versions-patch"
# What shipped in patch releases of two minor lines: a union of two intervals.
UNION = ">=1.25.4, <1.26 || >=1.26.1"


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
        (UNION, "1.24", False),
        (UNION, "1.25.3", False),
        (UNION, "1.25.4", True),
        (UNION, "1.26.0", False),
        (UNION, "1.26", True),  # 1.26.1 and later
        (UNION, "1.27.0", True),
    ],
)
def test_a_range_admits_a_release_or_its_minor_line(text: str, release: str, admitted: bool) -> None:
    assert parse_range(text).admits(parse_release(release)) is admitted


def test_meet_narrows_and_can_be_empty() -> None:
    assert parse_range(">=1.10").meet(parse_range(">=1.24")).text == ">=1.24"
    assert parse_range(">=1.10").meet(parse_range("<1.18")).text == ">=1.10, <1.18"
    assert parse_range(">=1.10").meet(parse_range("<1.9")).empty
    assert not parse_range(">=1.10").meet(parse_range("<1.10.1")).empty


def test_meet_of_unions_keeps_each_interval_that_survives() -> None:
    assert parse_range(">=1.10").meet(parse_range(UNION)).text == UNION
    assert parse_range(">=1.26").meet(parse_range(UNION)).text == ">=1.26.1"
    assert parse_range("<1.26").meet(parse_range(UNION)).text == ">=1.25.4, <1.26"
    assert parse_range("<1.25").meet(parse_range(UNION)).empty
    assert parse_range("<=1.25.0").text == "<=1.25.0" and parse_range(">=1.0, <=1.25.0").admits(parse_release("1.25.0"))


@pytest.mark.parametrize(
    ("text", "release", "part"),
    [
        (UNION, "1.25", "from 1.25.4"),
        (UNION, "1.26", "from 1.26.1"),
        (UNION, "1.27", None),  # the whole line
        (UNION, "1.24", None),  # none of it
        (UNION, "1.25.4", None),  # one patch is in or out
        ("<1.25.3", "1.25", "up to 1.25.2"),
        (">=1.25.2, <1.25.5", "1.25", "1.25.2 to 1.25.4"),
        ("<1.25.2 || >=1.25.6", "1.25", "up to 1.25.1 and from 1.25.6"),
    ],
)
def test_part_of_names_the_patches_of_a_minor_line_a_range_admits(text: str, release: str, part: str | None) -> None:
    assert parse_range(text).part_of(parse_release(release)) == part


def test_a_union_is_labelled_with_or() -> None:
    assert label(UNION) == "[Istio >=1.25.4, <1.26 or >=1.26.1]"


@pytest.mark.parametrize("bad", [">=1.25.4 ||", "|| >=1.2", ">=1.2 | <1.5", ">=1.2 or <1.5"])
def test_a_malformed_union_is_refused(bad: str) -> None:
    assert re.fullmatch(VERSION_RANGE, bad) is None
    with pytest.raises(UsageError, match="not a version range"):
        parse_range(bad)


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


def test_show_for_a_minor_line_partly_admitted_keeps_the_step_and_names_its_first_patch() -> None:
    result = run_kb("show", "patch-limited-incident", "--istio", "1.29", "--runbooks", str(PATCHES))
    assert result.returncode == 0, result.stderr
    assert (
        "for Istio 1.29, diagnosis[1] holds only from 1.29.3 (Istio >=1.28.7, <1.29 || >=1.29.3): "
        "Run the check that arrived in 1.28.7 and 1.29.3." in result.stdout
    )
    diagnosis = result.stdout.split("DIAGNOSIS", 1)[1].split("FIX", 1)[0]
    assert "Run the check that arrived in 1.28.7 and 1.29.3. [Istio >=1.28.7, <1.29 or >=1.29.3]" in diagnosis


def test_show_for_a_patch_outside_the_union_leaves_the_step_out() -> None:
    result = run_kb("show", "patch-limited-incident", "--istio", "1.29.2", "--runbooks", str(PATCHES))
    assert "left out: diagnosis[1] holds for Istio >=1.28.7, <1.29 || >=1.29.3 only" in result.stdout
    assert "holds only from" not in result.stdout


def test_show_for_a_release_the_union_wholly_admits_has_no_note_about_it() -> None:
    result = run_kb("show", "patch-limited-incident", "--istio", "1.30", "--runbooks", str(PATCHES))
    assert result.stdout.startswith("all of it holds for Istio 1.30\n")


def test_match_for_a_minor_line_partly_admitted_scores_the_signature_and_says_from_which_patch() -> None:
    paste = b'"GET / HTTP/1.1" 503 UH no_healthy_upstream message from a patch release\n'
    args = ("match", "--json", "--runbooks", str(PATCHES))
    line = run_kb(*args, "--istio", "1.28", stdin=paste)
    patch = json.loads(run_kb(*args, "--istio", "1.28.6", stdin=paste).stdout)["results"][0]
    assert "patched-message" in {e["signature"] for e in json.loads(line.stdout)["results"][0]["evidence"]}
    assert "patched-message" not in {e["signature"] for e in patch["evidence"]}
    assert "kb: for Istio 1.28, signatures[1] holds only from 1.28.7" in line.stderr


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
    # The 1.25.4 and 1.26.1 catalogs list IST0173, but only 1.27.0 has the analyzer that reports it.
    assert facts.codes["IST0173"]["catalog_only"] == {"1.25": "1.25.4", "1.26": "1.26.1"}
    assert facts.codes["IST0173"]["first"] == "1.27.0"
    assert facts.codes["IST0175"]["lines"]["1.29"] == "1.29.3"
    assert facts.codes["IST0145"]["first"] == "1.11.0"
    assert facts.terms["WaypointAccepted"]["lines"][0] == "1.24"
    assert facts.terms["ResolvedWaypoints"]["lines"][0] == "1.26"
    assert facts.in_spans(facts.paths["waypoint status"], "1.23")
    assert not facts.in_spans(facts.paths["waypoint status"], "1.22")
    assert facts.flag_default("PILOT_SEND_UNHEALTHY_ENDPOINTS", "1.13") is None
    assert facts.flag_default("PILOT_SEND_UNHEALTHY_ENDPOINTS", "1.14") == "true"
    assert facts.flag_default("PILOT_SEND_UNHEALTHY_ENDPOINTS", "1.14.1") == "true"
    assert facts.flag_default("PILOT_SEND_UNHEALTHY_ENDPOINTS", "1.14.2") == "false"  # changed in a patch
    assert facts.flag_default("PILOT_SEND_UNHEALTHY_ENDPOINTS", "1.15") == "false"
    assert facts.flag_default("EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY", "1.23") is None
    assert facts.flag_default("EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY", "1.24") == "true"
    # Registered over several lines in tuning.go, and read with os.Getenv in 1.1.
    assert facts.flag_default("PILOT_MAX_REQUESTS_PER_SECOND", "1.20") == "25.0"
    assert facts.flag_default("PILOT_MAX_REQUESTS_PER_SECOND", "1.21") == "0.0"
    assert facts.flag_default("PILOT_HTTP10", "1.1") == "(read with os.Getenv)"
    assert facts.flag_default("ENABLE_NATIVE_SIDECARS", "1.27") == '"auto"'


@pytest.mark.parametrize(
    ("path", "lines"),
    [
        ("experimental waypoint list", [["1.18", "1.22"]]),
        ("waypoint list", [["1.23", "1.30"]]),
        ("experimental precheck", [["1.6", "1.30"]]),
        ("uninstall", [["1.15", "1.30"]]),
        ("experimental uninstall", [["1.7", "1.18"]]),  # 1.15..1.18 also at the top level
        ("version", [["1.1", "1.30"]]),
        ("proxy-config endpoint", [["1.1", "1.30"]]),
    ],
)
def test_facts_know_full_istioctl_command_paths(path: str, lines: list[list[str]]) -> None:
    assert load_facts().paths[path] == lines


def test_facts_resolve_istioctl_aliases_per_parent() -> None:
    facts = load_facts()
    assert command_path(["x", "ztunnel-config", "workloads", "--workload-namespace", "$NAMESPACE"], facts) == (
        ["experimental", "ztunnel-config", "workload"],
        ["x", "ztunnel-config", "workloads"],
    )
    assert command_path(["--context", "$CTX", "pc", "endpoints", "$POD"], facts)[0] == ["proxy-config", "endpoint"]


def test_a_command_of_its_own_is_not_read_as_a_later_alias() -> None:
    """`istioctl manifest apply` was a command in 1.5 and 1.6; from 1.7 `apply` is an alias of `manifest install`."""
    facts = load_facts()
    assert command_path(["manifest", "apply", "-f", "x.yaml"], facts)[0] == ["manifest", "apply"]
    for istio in (">=1.5, <1.7", ">=1.5"):
        assert _istioctl_warnings(_stats_step("istioctl manifest apply -f x.yaml", istio)) == []
    assert _istioctl_warnings(_stats_step("istioctl manifest install -f x.yaml", ">=1.5")) == [
        "`istioctl manifest install` is not in istioctl 1.5, 1.6, but this holds for Istio >=1.5"
    ]


def _istioctl_warnings(runbook: kb.Runbook) -> list[str]:
    return [p.message for p in version_problems(runbook) if "istioctl" in p.message]


def test_every_shipped_runbook_passes_the_version_and_schema_rules() -> None:
    result = load_runbooks(RUNBOOKS)
    assert [str(p) for p in result.problems] == []


def test_shipping_range_is_the_union_of_what_each_minor_line_ships() -> None:
    facts = load_facts()
    assert shipping_range(facts.codes["IST0175"]["lines"], facts.minors) == ">=1.28.7, <1.29 || >=1.29.3"
    assert shipping_range(facts.codes["IST0104"]["lines"], facts.minors) == ">=1.4, <1.20"
    assert shipping_range({"1.25": "1.25.4", "1.26": "1.26.1"}, ("1.25", "1.26", "1.27")) == (
        ">=1.25.4, <1.26 || >=1.26.1, <1.27"
    )


def test_schema_snapshots_are_every_one_a_range_admits() -> None:
    assert snapshots(parse_range(">=1.6, <1.9")) == ["1.6.0", "1.7.0", "1.8.0"]
    assert snapshots(parse_range(">=1.29")) == ["1.29.0", "1.30.0", "1.30.3"]
    assert snapshots(parse_range(">=1.5"))[::13] == ["1.5.0", "1.18.0", "1.30.3"]
    assert snapshots(parse_range("<1.5")) == ["1.5.0"]  # nothing older is vendored
    assert snapshots(parse_range(">=1.9.3, <1.10")) == ["1.9.0"]  # the nearest snapshot below


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


def test_facts_hold_the_default_stats_matcher_per_line() -> None:
    kept = load_facts().stats_kept
    assert kept["prefix"]["cluster_manager"] == [["1.1", "1.30"]]
    assert kept["prefix"]["cluster.xds-grpc"] == [["1.1", "1.30"]]
    assert kept["prefix"]["http_mixer_filter"] == [["1.1", "1.7"]]  # mixer's filters left in 1.8
    assert kept["suffix"]["rbac.denied"] == [["1.10", "1.30"]]
    # 1.16 added a route regex that matched no route stat (`vhost\.*\.route\.*`); 1.23 fixed it.
    assert kept["regex"] == {r"vhost\.*\.route\.*": [["1.16", "1.22"]], r"vhost\..*\.route\..*": [["1.23", "1.30"]]}
    assert kept["conditional"]["suffix downstream_cx_active"][0] == "meta.ExitOnZeroActiveConnections"
    assert not any(pattern.startswith("cluster.outbound") for pattern in kept["prefix"])


def _stats_step(command: str, istio: str = ">=1.6", text: str = "Read the stats.") -> kb.Runbook:
    data = yaml.safe_load((DATA / "invalid" / "version-stats-not-kept.yaml").read_text(encoding="utf-8"))
    runbook = kb.Runbook.model_validate(data)
    step = runbook.diagnosis[0].model_copy(update={"commands": (command,), "text": text})
    applies_to = runbook.applies_to.model_copy(update={"istio": istio})
    return runbook.model_copy(update={"diagnosis": (step,), "applies_to": applies_to})


def _stats_warnings(runbook: kb.Runbook) -> list[str]:
    return [p.message for p in version_problems(runbook) if "Envoy stats" in p.message]


@pytest.mark.parametrize(
    ("command", "missing"),
    [
        # The RBAC filter's counters are kept from 1.10 by suffix, wherever the listener's stat prefix puts them.
        ("pilot-agent request GET stats | grep rbac.denied", "1.6..1.9"),
        ("curl -s localhost:15000/stats | grep -E 'downstream_rq_too_large'", "1.6..1.30"),
        ("pilot-agent request GET 'stats?filter=outlier_detection'", "1.6..1.30"),
        ("pilot-agent request GET stats | grep -i OUTLIER_DETECTION", "1.6..1.30"),
        ("pilot-agent request GET stats | grep 'listener_manager.total_listeners_active'", None),
        ("pilot-agent request GET stats | grep lds.update_rejected", None),
        ('pilot-agent request GET stats | grep "$SERVICE"', None),  # a service name narrows, it names no stat
        ("pilot-agent request GET stats | grep -v outlier_detection", None),  # an exclusion
        ("pilot-agent request GET stats | grep 'upstream_rq_pending_overflow\\|server.live'", "1.6..1.30"),
        ("pilot-agent request GET stats/prometheus | grep istio_requests_total", None),  # not a name known here
    ],
)
def test_stats_rule_judges_the_stat_a_filter_names(command: str, missing: str | None) -> None:
    found = _stats_warnings(_stats_step(command))
    assert found == ([] if missing is None else [found[0]])
    if missing is not None:
        assert f"but Istio {missing}'s default stats matcher" in found[0]


def test_stats_rule_is_silent_when_the_runbook_says_how_to_include_the_stat() -> None:
    command = "pilot-agent request GET stats | grep outlier_detection"
    assert _stats_warnings(_stats_step(command))
    text = "Add `sidecar.istio.io/statsInclusionPrefixes: cluster.outbound` to the pod first, then read the stats."
    assert _stats_warnings(_stats_step(command, text=text)) == []
    # Named in another step (here the fix's text) it holds for the whole runbook.
    runbook = _stats_step(command)
    fix = runbook.fix[0].model_copy(update={"text": "Set proxyStatsMatcher.inclusionRegexps in ProxyConfig."})
    assert _stats_warnings(runbook.model_copy(update={"fix": (fix,)})) == []
