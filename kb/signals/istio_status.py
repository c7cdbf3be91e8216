"""Status messages of istio-agent (pilot-agent) and istiod that say what is wrong in so many words.

Values:

* `agent-no-config`: `Envoy proxy is NOT ready: config not received from Pilot` (no xDS from istiod).
* `agent-config-rejected`: `... config received from XDS server, but was rejected` (Envoy NACKed the push).
* `agent-envoy-unreachable`: the agent cannot read Envoy's admin port (`failed retrieving Envoy stats`).
* `agent-envoy-oom`: `Envoy may have been out of memory killed`.
* `agent-probe-app-failed`: a rewritten kubelet probe the agent forwards to the app fails (`Request to probe app
  failed`).
* `istiod-remote-cluster`: istiod has no working client for another cluster of a multicluster mesh (`could not
  get cluster X's kube client`, a remote secret's API server it cannot reach or trust).
"""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all
from kb.vocabulary import SignalKind

name = "istio_status"
description = "istio-agent readiness and probe messages, and istiod's complaints about remote clusters."

_MESSAGES = (
    ("agent-no-config", r"Envoy proxy is NOT ready: config not received"),
    ("agent-config-rejected", r"config received from XDS server, but was rejected"),
    ("agent-envoy-unreachable", r"Envoy proxy is NOT ready: failed retrieving Envoy stats"),
    ("agent-envoy-oom", r"Envoy may have been out of memory killed"),
    ("agent-probe-app-failed", r"Request to probe app failed"),
    (
        "istiod-remote-cluster",
        r"could not get cluster [^ \n]{1,100}(?:'s)? kube client"
        r"|remote (?:cluster|secret)[^\n]{0,80}(?:failed|unreachable|timed? ?out|x509|unauthorized)",
    ),
)
_PATTERN = re.compile("|".join(f"(?P<g{n}>{pattern})" for n, (_, pattern) in enumerate(_MESSAGES)), re.IGNORECASE)
_NEEDLES = ("not ready", "rejected", "out of memory", "probe app", "kube client", "remote")


def _value(match: re.Match[str]) -> str | None:
    return next((_MESSAGES[int(k[1:])][0] for k, v in match.groupdict().items() if v), None)


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _PATTERN, SignalKind.ISTIO_STATUS, _value, _NEEDLES, ignore_case=True)
