"""The Reason of Kubernetes events, from `kubectl describe` / `kubectl get events` and object status."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all, first_group
from kb.vocabulary import SignalKind

name = "k8s_events"
description = (
    "Kubernetes event reasons (`Warning  FailedCreate ...`, `reason: FailedCreate`, probe failures -> Unhealthy)."
)

_EVENT = re.compile(
    r"(?:^|[ \t])(?:Normal|Warning)[ \t]{1,20}([A-Z][A-Za-z]{2,40})[ \t]"  # describe Events table, get events
    r"|^[ \t]{0,40}-?[ \t]?reason:[ \t]{0,4}['\"]?([A-Z][A-Za-z]{2,40})['\"]?[ \t]*$"  # YAML status conditions
    r"|\"reason\":[ \t]{0,2}\"([A-Z][A-Za-z]{2,40})\"",  # JSON
    re.MULTILINE,
)
# kubelet reports failed probes as events with reason Unhealthy; the message alone is often pasted.
_PROBE = re.compile(r"\b(?:Liveness|Readiness|Startup) probe failed\b")


def extract(paste: Paste) -> list[Signal]:
    kind = SignalKind.K8S_EVENT_REASON
    events = find_all(paste, _EVENT, kind, first_group, ("Normal", "Warning", "reason"))
    return events + find_all(paste, _PROBE, kind, constant("Unhealthy"), ("probe failed",))
