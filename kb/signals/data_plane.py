"""Which data plane a paste shows: ambient (ztunnel, waypoints, HBONE) or sidecars (istio-proxy, istio-init)."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all
from kb.vocabulary import SignalKind

name = "data_plane"
description = "`ambient` for ztunnel/waypoint/HBONE output, `sidecar` for istio-proxy/istio-init/pilot-agent output."

_AMBIENT = re.compile(
    r"\bztunnel\b|\bwaypoints?\b|\bhbone\b|\bproxy::h2\b|\bdst\.hbone_addr=|istio\.io/dataplane-mode|:15008\b",
    re.IGNORECASE,
)
_SIDECAR = re.compile(
    r"\bistio-proxy\b|\bistio-init\b|\bpilot-agent\b|\bsidecar\.istio\.io/|\bistio-validation\b", re.IGNORECASE
)
_AMBIENT_NEEDLES = ("ztunnel", "waypoint", "hbone", "proxy::h2", "dataplane-mode", ":15008")
_SIDECAR_NEEDLES = ("istio-proxy", "istio-init", "pilot-agent", "sidecar.istio.io/", "istio-validation")


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _AMBIENT, SignalKind.DATA_PLANE, constant("ambient"), _AMBIENT_NEEDLES, ignore_case=True)
    found += find_all(paste, _SIDECAR, SignalKind.DATA_PLANE, constant("sidecar"), _SIDECAR_NEEDLES, True)
    return found
