"""The scope column of istiod, istio-agent and ztunnel log lines."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all
from kb.vocabulary import SignalKind

name = "istio_log"
description = "Log scopes of istiod / istio-agent / ztunnel lines: `<time>\\t<level>\\t<scope>\\t<message>`."

_LEVELS = "debug|info|warn|warning|error|fatal|critical|trace|DEBUG|INFO|WARN|WARNING|ERROR|TRACE"
# Istio logs are tab-separated; the scope is the column after the level. Envoy's own messages are
# forwarded by the agent under `envoy <logger>`, two words in one column.
_TABBED = re.compile(rf"(?:^|\t|Z[ \t])(?:{_LEVELS})\t([A-Za-z][\w .:-]{{0,38}}?)\t", re.MULTILINE)
# Pasted through a terminal or a chat client the tabs become spaces; then only scopes Istio really
# uses are believed, so a prose sentence after the level is never read as a scope.
SCOPES = (
    "ads", "authn", "authorization", "ca", "cache", "citadelclient", "cni", "controllers", "default",
    "delta", "dns", "gateway", "grpcgen", "healthcheck", "installer", "iptables", "klog", "kube", "model",
    "monitoring", "pkica", "sds", "security", "serviceentry", "spiffe", "status", "telemetry", "validation",
    "validationController", "validationServer", "wasm", "wle", "xds", "xdsproxy", "access", "proxy", "hickory_server",
)  # fmt: skip
_SPACED = re.compile(
    rf"^\S{{0,40}}?\d{{4}}-\d\d-\d\dT[0-9:.]{{1,20}}Z {{1,4}}(?:{_LEVELS}) {{1,4}}"
    rf"(envoy [a-z_]{{2,20}}|{'|'.join(SCOPES)}|[a-z_]{{2,20}}(?:::[a-z_]{{2,20}}){{1,4}})(?= )",
    re.MULTILINE,
)


def extract(paste: Paste) -> list[Signal]:
    def scope(match: re.Match[str]) -> str:
        return match[1].strip()

    tabbed = find_all(paste, _TABBED, SignalKind.LOG_SCOPE, scope, ("\t",))
    return tabbed + find_all(paste, _SPACED, SignalKind.LOG_SCOPE, scope, ("Z ",))
