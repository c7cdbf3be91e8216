"""Findings from Kubernetes/Istio YAML pasted with an error: resources that cannot work together, and settings
that decide which failure an error is.

The checks are structural (what the resources say about each other); the runbooks' signatures say what a
finding means. Values:

* `vs-subset-undefined`: a VirtualService routes to a subset that no pasted DestinationRule for that host
  defines (only when a DestinationRule for the host is pasted: a missing paste proves nothing).
* `gateway-vs-host-mismatch`: a VirtualService bound to a pasted Gateway shares no host with any of its servers.
* `port-name-no-protocol`: a Service port whose name has no protocol prefix (`http-`, `grpc-`, `tcp-`...) and
  which sets no `appProtocol`, so Istio has to guess (or sniff) the protocol.
* `peer-authentication-strict`: a PeerAuthentication requires mutual TLS (`mtls.mode: STRICT`, for the workload or
  one of its ports), so a client without an Istio certificate is refused.
* `gateway-tls-credential`: a Gateway server terminates TLS with a certificate read from a Kubernetes Secret
  (`credentialName`/`credentialNames`, or a Gateway API listener's `certificateRefs`), which istiod must find.

A block starts at `apiVersion:` or `kind:` and ends where its indentation does, at a fence or `---`, or at a line
of its own indentation that is no mapping key (a `$ kubectl ...` prompt, a log line): a resource's top-level
lines are all keys. A block that fails to parse is read again up to the line YAML stumbled on (a log line
such as `curl: (56) Recv failure: ...` looks like a key). A `kind: List` (`kubectl get ... -o yaml`) stands for its
items.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kb.signals.base import Paste, Signal
from kb.vocabulary import SignalKind
from kb.yamldoc import Path_, YamlDocument, YamlProblem, parse_document

name = "manifests"
description = "Pasted Istio/Kubernetes YAML: resources that cannot work together, settings that explain an error."

# Past these sizes a paste is not a manifest someone copied from kubectl; parsing it would only cost time.
MAX_YAML_CHARS = 200_000
MAX_DOCUMENTS = 200
_DOC_START = re.compile(r"^([ \t]*)(?:apiVersion|kind):[ \t]*\S", re.MULTILINE)
# A line that can stand at a resource's own indentation: a mapping key, a comment, or an item of a list that a
# top-level key holds (`items:` then `- apiVersion: ...` at the same indentation, as kubectl prints lists).
_TOP_LEVEL = re.compile(r"(?:[\w.\-/]+|\"[^\"\n]*\"|'[^'\n]*')[ \t]*:(?:[ \t]|$)|#|-(?:[ \t]|$)")
_IDENTITY = ("apiVersion", "kind")
_PROTOCOLS = ("http", "http2", "https", "grpc", "grpc-web", "tcp", "tls", "udp", "mongo", "mysql", "redis")
_PREFIX = re.compile(rf"^(?:{'|'.join(re.escape(p) for p in _PROTOCOLS)})(?:$|-)", re.IGNORECASE)


def extract(paste: Paste) -> list[Signal]:
    if ("apiVersion:" not in paste.text and "kind:" not in paste.text) or len(paste.text) > MAX_YAML_CHARS:
        return []
    resources = list(_resources(paste))
    return [
        *_subset_findings(resources),
        *_gateway_findings(resources),
        *_port_findings(resources),
        *_strict_findings(resources),
        *_credential_findings(resources),
    ]


def _resources(paste: Paste) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, document) for every YAML mapping with a kind that a block starting at `apiVersion:` parses to."""
    position = 0
    for _ in range(MAX_DOCUMENTS):
        start = _DOC_START.search(paste.text, position)
        if start is None:
            return
        block, position = _block(paste.text, start.start(), len(start.group(1)))
        parsed = _parsed(block)
        if parsed is not None:
            yield from _kinds(paste.line_at(start.start()), parsed.data, parsed.lines)


def _parsed(block: str) -> YamlDocument | None:
    """The block's document, or that of the lines before the one YAML stumbled on; None when neither parses."""
    try:
        # kb's own reader: no aliases (no billion-laughs), bounded depth, problems as YamlProblem.
        return parse_document(block)
    except YamlProblem as problem:
        before = "\n".join(block.split("\n")[: problem.line - 1])
        if not before.strip():
            return None
        try:
            return parse_document(before)
        except (YamlProblem, ValueError, RecursionError):
            return None
    except (ValueError, RecursionError):
        return None


def _block(text: str, start: int, indent: int) -> tuple[str, int]:
    """The YAML of one resource from `start` (dedented by `indent`) and the offset where it ends."""
    lines: list[str] = []
    seen: set[str] = set()
    offset = start
    for line in text[start:].split("\n"):
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if stripped and (depth < indent or stripped.startswith(("```", "---"))):
            break
        if stripped and depth == indent:
            key = stripped.split(":", 1)[0]
            if not _TOP_LEVEL.match(stripped) or (key in _IDENTITY and key in seen):
                break  # a prompt or a log line, or the next resource's apiVersion/kind without a `---`
            seen.add(key)
        lines.append(line[indent:])
        offset += len(line) + 1
    return "\n".join(lines), max(offset, start + 1)


def _kinds(line: int, document: Any, lines: dict[Path_, int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The document when it has a kind; a `List`'s items (each at its own line) instead of the list."""
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        return
    items = document.get("items")
    if document["kind"].endswith("List") and isinstance(items, list):
        for number, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("kind"), str):
                yield line + lines.get(("items", number), 1) - 1, item
        return
    yield line, document


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


def _strict_findings(resources: list[tuple[int, dict[str, Any]]]) -> list[Signal]:
    found = []
    for line, document in resources:
        if document["kind"] != "PeerAuthentication":
            continue
        spec = _spec(document)
        ports = spec.get("portLevelMtls")
        modes = [spec.get("mtls"), *(ports.values() if isinstance(ports, dict) else [])]
        if any(isinstance(m, dict) and str(m.get("mode", "")).upper() == "STRICT" for m in modes):
            found.append(Signal(SignalKind.MANIFEST, "peer-authentication-strict", line))
    return found


def _credential_findings(resources: list[tuple[int, dict[str, Any]]]) -> list[Signal]:
    found = []
    for line, document in resources:
        if document["kind"] != "Gateway":
            continue
        spec = _spec(document)
        # Istio's Gateway names the Secret in a server's tls; the Gateway API's in a listener's tls.
        settings = [entry.get("tls") for key in ("servers", "listeners") for entry in _list(spec.get(key))
                    if isinstance(entry, dict)]  # fmt: skip
        if any(isinstance(tls, dict) and _names_secret(tls) for tls in settings):
            found.append(Signal(SignalKind.MANIFEST, "gateway-tls-credential", line))
    return found


def _names_secret(tls: dict[str, Any]) -> bool:
    return bool(tls.get("credentialName") or _list(tls.get("credentialNames")) or _list(tls.get("certificateRefs")))
