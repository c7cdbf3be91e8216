from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kb.istio_api import lower_bound, resource_problems
from kb.model import Condition, FixStep, Runbook, Signature, Step
from kb.patterns import PatternError, compile_pattern
from kb.vocabulary import SignalKind
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "a condition needs exactly one of `pattern` or `signal`"),
        ({"pattern": "x", "signal": "response_flag"}, "a condition needs exactly one of `pattern` or `signal`"),
        ({"pattern": "x", "equals": "UH"}, "`equals` and `matches` go with `signal`, not `pattern`"),
        ({"signal": "response_flag", "equals": "UH", "matches": "U"}, "use `equals` or `matches`, not both"),
        ({"pattern": ""}, "empty pattern"),
        (
            {"pattern": "(a)\\1"},
            "does not compile under RE2: invalid escape sequence: \\1 (RE2 has no lookaround or backreferences)",
        ),
    ],
)
def test_condition_rules(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Condition.model_validate(fields)
    assert caught.value.errors()[0]["msg"] == f"Value error, {message}"


def test_condition_accepts_signal_presence_and_values() -> None:
    assert Condition(signal=SignalKind.RESPONSE_FLAG).equals is None
    assert Condition.model_validate({"signal": "http_status", "matches": "^5[0-9]{2}$"}).matches == "^5[0-9]{2}$"


def test_models_are_frozen() -> None:
    step = Step(text="look")
    with pytest.raises(ValidationError):
        step.text = "changed"  # type: ignore[misc]


@pytest.mark.parametrize("weight", [0, -1, 10.5, "3", True])
def test_signature_weight_is_a_number_in_range(weight: object) -> None:
    with pytest.raises(ValidationError):
        Signature.model_validate({"name": "w", "weight": weight, "when": [{"pattern": "x"}]})


def test_fix_step_manifest_may_hold_several_documents_and_placeholders() -> None:
    manifest = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: $NAMESPACE\n---\napiVersion: v1\nkind: Service\n"
    assert FixStep(text="apply", manifest=manifest).manifest == manifest.strip()


def test_runbook_model_enforces_cross_field_rules() -> None:
    data = minimal_data()
    data["fix"][0]["manifest"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: $WHATEVER\n"
    del data["impact"]
    with pytest.raises(ValidationError, match=r"impact: required for an incident"):
        Runbook.model_validate(data)


def test_shell_variables_in_lower_case_are_not_placeholders() -> None:
    assert Step(text="loop", commands=("for p in $(kubectl get pods -o name); do echo $p; done",)).commands


@pytest.mark.parametrize(
    ("text", "bound"),
    [(">=1.6", (1, 6)), (">=1.6, <1.9.2", (1, 6)), ("<1.9", (0,)), ("==1.22.1", (1, 22, 1)), (">1.10", (1, 10))],
)
def test_lower_bound(text: str, bound: tuple[int, ...]) -> None:
    assert lower_bound(text) == bound


def test_api_version_rules() -> None:
    v1 = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication"}
    assert resource_problems(v1, (1, 22)) == []
    assert resource_problems(v1, (1, 21)) == [
        "PeerAuthentication uses security.istio.io/v1, served from Istio 1.22, but applies_to.istio admits 1.21; "
        "use an older API version or raise applies_to"
    ]
    filter_v1beta1 = {"apiVersion": "networking.istio.io/v1beta1", "kind": "EnvoyFilter"}
    assert resource_problems(filter_v1beta1, (1, 22)) == [
        "EnvoyFilter must use apiVersion networking.istio.io/v1alpha3, got networking.istio.io/v1beta1"
    ]


def test_compile_pattern_is_quiet(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(PatternError):
        compile_pattern("(?<=a)b")
    assert capfd.readouterr() == ("", "")
    assert compile_pattern("(?i)no healthy upstream").search("NO HEALTHY UPSTREAM")


def minimal_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / "valid" / "minimal-incident.yaml").read_text(encoding="utf-8"))
    return data


def test_runbook_json_round_trip() -> None:
    runbook = Runbook.model_validate(minimal_data())
    assert Runbook.model_validate(runbook.model_dump(mode="json")) == runbook
