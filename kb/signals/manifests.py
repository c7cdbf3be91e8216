"""Findings from Kubernetes/Istio YAML pasted with an error: resources that cannot work together.

The checks are structural (what the resources say about each other); the runbooks' signatures say what a
finding means. Values:

* `vs-subset-undefined`: a VirtualService routes to a subset that no pasted DestinationRule for that host
  defines (only when a DestinationRule for the host is pasted: a missing paste proves nothing).
* `gateway-vs-host-mismatch`: a VirtualService bound to a pasted Gateway shares no host with any of its servers.
* `port-name-no-protocol`: a Service port whose name has no protocol prefix (`http-`, `grpc-`, `tcp-`...) and
  which sets no `appProtocol`, so Istio has to guess (or sniff) the protocol.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kb.signals.base import Paste, Signal
from kb.vocabulary import SignalKind
from kb.yamldoc import YamlProblem, parse_document

name = "manifests"
description = "Pasted VirtualService/DestinationRule/Gateway/Service YAML that cannot work together."

# Past these sizes a paste is not a manifest someone copied from kubectl; parsing it would only cost time.
MAX_YAML_CHARS = 200_000
MAX_DOCUMENTS = 200
_DOC_START = re.compile(r"^([ \t]*)apiVersion:[ \t]*\S", re.MULTILINE)
_PROTOCOLS = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "udp", "mongo", "mysql", "redis")
_PREFIX = re.compile(rf"^(?:{'|'.join(re.escape(p) for p in _PROTOCOLS)})(?:$|-)", re.IGNORECASE)


def extract(paste: Paste) -> list[Signal]:
    if "apiVersion:" not in paste.text or len(paste.text) > MAX_YAML_CHARS:
        return []
    resources = list(_resources(paste))
    return _subset_findings(resources) + _gateway_findings(resources) + _port_findings(resources)


def _resources(paste: Paste) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, document) for every YAML mapping with a kind that a block starting at `apiVersion:` parses to."""
    starts = [m for m in _DOC_START.finditer(paste.text)][:MAX_DOCUMENTS]
    for number, start in enumerate(starts):
        end = starts[number + 1].start() if number + 1 < len(starts) else len(paste.text)
        indent = len(start.group(1))
        lines = []
        for line in paste.text[start.start() : end].split("\n"):
            if line.strip() and (len(line) - len(line.lstrip()) < indent or line.strip().startswith(("```", "---"))):
                break
            lines.append(line[indent:])
        try:
            # kb's own reader: no aliases (no billion-laughs), bounded depth, problems as YamlProblem.
            document = parse_document("\n".join(lines)).data
        except (YamlProblem, ValueError, RecursionError):
            continue
        if isinstance(document, dict) and isinstance(document.get("kind"), str):
            yield paste.line_at(start.start()), document


def _spec(document: dict[str, Any]) -> dict[str, Any]:
    spec = document.get("spec")
    return spec if isinstance(spec, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _short(host: Any) -> str:
    """`reviews.default.svc.cluster.local` and `reviews` name the same in-cluster service."""
    return str(host).split(".", 1)[0].lower()


def _subset_findings(resources: list[tuple[int, dict[str, Any]]]) -> list[Signal]:
    subsets: dict[str, set[str]] = {}
    for _, document in resources:
        if document["kind"] == "DestinationRule":
            spec = _spec(document)
            names = {str(s.get("name")) for s in _list(spec.get("subsets")) if isinstance(s, dict)}
            subsets.setdefault(_short(spec.get("host", "")), set()).update(names)
    found = []
    for line, document in resources:
        if document["kind"] != "VirtualService":
            continue
        spec = _spec(document)
        for route in [r for kind in ("http", "tcp", "tls") for r in _list(spec.get(kind))]:
            for target in _list(route.get("route")) if isinstance(route, dict) else []:
                destination = target.get("destination") if isinstance(target, dict) else None
                if not isinstance(destination, dict) or destination.get("subset") is None:
                    continue
                defined = subsets.get(_short(destination.get("host", "")))
                if defined is not None and str(destination["subset"]) not in defined:
                    found.append(Signal(SignalKind.MANIFEST, "vs-subset-undefined", line))
    return found


def _host_matches(vs_host: str, gateway_host: str) -> bool:
    gateway_host = gateway_host.split("/", 1)[-1].lower()
    vs_host = vs_host.lower()
    if gateway_host == "*" or vs_host == "*" or gateway_host == vs_host:
        return True
    if gateway_host.startswith("*."):
        return vs_host.endswith(gateway_host[1:]) or vs_host == gateway_host
    return vs_host.startswith("*.") and gateway_host.endswith(vs_host[1:])


def _gateway_findings(resources: list[tuple[int, dict[str, Any]]]) -> list[Signal]:
    gateways: dict[str, list[str]] = {}
    for _, document in resources:
        if document["kind"] == "Gateway" and str(document.get("apiVersion", "")).startswith("networking.istio.io"):
            metadata = document.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else {}
            hosts = [str(h) for s in _list(_spec(document).get("servers")) if isinstance(s, dict)
                     for h in _list(s.get("hosts"))]  # fmt: skip
            gateways[str(metadata.get("name", ""))] = hosts
    found = []
    for line, document in resources:
        if document["kind"] != "VirtualService":
            continue
        spec = _spec(document)
        hosts = [str(h) for h in _list(spec.get("hosts"))]
        for gateway in _list(spec.get("gateways")):
            served = gateways.get(str(gateway).split("/", 1)[-1].split(".", 1)[0])
            if served is not None and hosts and not any(_host_matches(h, g) for h in hosts for g in served):
                found.append(Signal(SignalKind.MANIFEST, "gateway-vs-host-mismatch", line))
    return found


def _port_findings(resources: list[tuple[int, dict[str, Any]]]) -> list[Signal]:
    found = []
    for line, document in resources:
        if document["kind"] != "Service" or document.get("apiVersion") != "v1":
            continue
        for port in _list(_spec(document).get("ports")):
            if not isinstance(port, dict) or port.get("appProtocol"):
                continue
            if not _PREFIX.match(str(port.get("name", ""))):
                found.append(Signal(SignalKind.MANIFEST, "port-name-no-protocol", line))
    return found
