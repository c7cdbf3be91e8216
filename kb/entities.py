"""Entities in a paste (pods, namespaces, hosts, clusters, IPs) and filling `$PLACEHOLDER`s with them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from kb.signals import Paste
from kb.signals.access_log import records
from kb.signals.base import matches
from kb.signals.clusters import CLUSTER
from kb.vocabulary import PLACEHOLDERS


@dataclass(frozen=True)
class Entity:
    """A value for the placeholder `$name`, found on `line`."""

    name: str
    value: str
    line: int


_NAME = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SVC_HOST = re.compile(rf"^({_NAME})\.({_NAME})\.svc(?:\.cluster\.local)?$")
# istio-agent node ids: `sidecar~10.1.2.3~reviews-v1-5d4f.default~default.svc.cluster.local`.
_NODE = re.compile(rf"\b(?:sidecar|router)~([0-9.]{{7,15}})~({_NAME})\.({_NAME})~")
_NAMESPACE = re.compile(
    rf"(?:\s-n\s{{1,3}}|--namespace[= ]|\bnamespace[:=]\s?[\"']?|\bnamespace \"|\"namespace\":\s?\")({_NAME})\b"
)
_POD = re.compile(rf"\bpods?/({_NAME}(?:\.{_NAME})?)\b|\bpod \"({_NAME})\"|\bpod[=:] ?[\"']?({_NAME})\b")
_POD_ROW = re.compile(
    rf"^[ \t]{{0,4}}(?:({_NAME})[ \t]+)?({_NAME})[ \t]+[0-9]{{1,2}}/[0-9]{{1,2}}[ \t]+[A-Z]", re.MULTILINE
)
_ISTIOD = re.compile(rf"\bistiod(?:-({_NAME}))?\.({_NAME})\.svc\b")
_IP = re.compile(r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])")
_URL_HOST = re.compile(r"\bhttps?://([A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::([0-9]{1,5}))?")
_HOST_HEADER = re.compile(
    r"^[> \t]{0,4}[Hh]ost: ([A-Za-z0-9][A-Za-z0-9.-]{0,252})(?::([0-9]{1,5}))?[ \t]*$", re.MULTILINE
)
_SECRET = re.compile(rf"\bcredentialName:?\s?[\"']?({_NAME})|\bsecret \"({_NAME})\"")
# `reviews-v1-545db77b95-abcde`: a Deployment's pods end in the ReplicaSet hash and a 5-character suffix.
_DEPLOYMENT_POD = re.compile(r"^(.+)-[a-z0-9]{6,10}-[a-z0-9]{5}$")


def find_entities(paste: Paste) -> list[Entity]:
    """Every entity found, in line order; the first of each name is the one placeholders use."""
    found = [entity for line, record in records(paste) for entity in _host_entities(_authority(record), line)]
    for _, pattern, entities, needles in _FINDERS:
        for line, match in matches(paste, pattern, needles):
            found.extend(entities(match, line))
    return sorted(found, key=lambda entity: entity.line)


def _authority(record: dict[str, str]) -> str:
    return record.get("authority", "").split(":")[0]


def _node(match: re.Match[str], line: int) -> Iterator[Entity]:
    yield Entity("IP", match[1], line)
    yield from _pod_entities(match[2], match[3], line)


def _pod(match: re.Match[str], line: int) -> Iterator[Entity]:
    name, _, namespace = (match[1] or match[2] or match[3]).partition(".")
    return _pod_entities(name, namespace or None, line)


def _named(name: str, group: int = 1) -> Callable[[re.Match[str], int], Iterator[Entity]]:
    def entities(match: re.Match[str], line: int) -> Iterator[Entity]:
        if match[group]:
            yield Entity(name, match[group], line)

    return entities


def _istiod(match: re.Match[str], line: int) -> Iterator[Entity]:
    if match[1]:
        yield Entity("REVISION", match[1], line)
    yield Entity("ISTIO_NAMESPACE", match[2], line)


def _url(match: re.Match[str], line: int) -> Iterator[Entity]:
    yield from _host_entities(match[1], line)
    if match[2]:
        yield Entity("PORT", match[2], line)


def _ip(match: re.Match[str], line: int) -> Iterator[Entity]:
    if not match[1].startswith(("127.", "0.")):
        yield Entity("IP", match[1], line)


Finder = Callable[[re.Match[str], int], Iterator[Entity]]
# (name, pattern, what its matches yield, literals every match contains: only lines with one are searched).
# The site's offline matcher runs the same patterns in the browser; the name says which yield it applies.
_FINDERS: tuple[tuple[str, re.Pattern[str], Finder, tuple[str, ...]], ...] = (
    ("cluster", CLUSTER, lambda match, line: _cluster_entities(match[1] or match[2], line), ("bound|", "Cluster")),
    ("node", _NODE, _node, ("~",)),
    ("pod", _POD, _pod, ("pod",)),
    ("pod_row", _POD_ROW, lambda match, line: _pod_entities(match[2], match[1], line), ("/",)),
    ("namespace", _NAMESPACE, _named("NAMESPACE"), ("-n", "namespace")),
    ("istiod", _ISTIOD, _istiod, ("istiod",)),
    ("url", _URL_HOST, _url, ("http",)),
    ("host_header", _HOST_HEADER, lambda match, line: _host_entities(match[1], line), ("ost: ",)),
    (
        "secret",
        _SECRET,
        lambda match, line: _named("SECRET", 1 if match[1] else 2)(match, line),
        ("credentialName", "secret"),
    ),
    ("ip", _IP, _ip, (".",)),
)


def _cluster_entities(cluster: str, line: int) -> Iterator[Entity]:
    yield Entity("CLUSTER", cluster, line)
    parts = cluster.split("|")
    if len(parts) == 4:
        _, port, subset, host = parts
        yield Entity("PORT", port, line)
        if subset:
            yield Entity("SUBSET", subset, line)
        yield from _host_entities(host, line)


def _host_entities(host: str, line: int) -> Iterator[Entity]:
    if not host or host == "-" or _IP.fullmatch(host):
        return
    yield Entity("HOST", host, line)
    service = _SVC_HOST.match(host)
    if service:
        yield Entity("SERVICE", service[1], line)
        yield Entity("SERVICE_NAMESPACE", service[2], line)


GATEWAY_PODS = ("istio-ingressgateway", "istio-egressgateway", "istio-eastwestgateway")


def _pod_entities(pod: str, namespace: str | None, line: int) -> Iterator[Entity]:
    gateway = pod.startswith(GATEWAY_PODS)
    yield Entity("GATEWAY_POD" if gateway else "POD", pod, line)
    deployment = _DEPLOYMENT_POD.match(pod)
    if deployment and not gateway:
        yield Entity("DEPLOYMENT", deployment[1], line)
    if namespace:
        yield Entity("GATEWAY_NAMESPACE" if gateway else "NAMESPACE", namespace, line)


_PLACEHOLDER = re.compile(r"\$([A-Z][A-Z_]*[A-Z])")


def first_values(entities: Sequence[Entity]) -> dict[str, str]:
    """The value each placeholder takes: the first entity of that name."""
    values: dict[str, str] = {}
    for entity in entities:
        values.setdefault(entity.name, entity.value)
    return values


# Values from a paste are attacker-controlled (a Host header is whatever the client sent). Only values
# made of these characters are put into commands; anything else leaves the placeholder for the reader.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9_.:/@*|\[\]-]{1,253}")


def fill(command: str, values: dict[str, str]) -> str:
    """`command` with every known `$PLACEHOLDER` that has a safe value replaced; the others stay as written.

    A value with a shell metacharacter (`|` in a cluster name) is single-quoted unless the placeholder
    already sits inside double quotes, so the printed command still runs as intended.
    """

    def replace(match: re.Match[str]) -> str:
        name = match[1]
        value = values.get(name) if name in PLACEHOLDERS else None
        if value is None or not _SAFE_VALUE.fullmatch(value):
            # `$SERVICE_NAMESPACE` is one placeholder, not `$SERVICE` followed by `_NAMESPACE`.
            return match[0]
        quoted = command.count('"', 0, match.start()) % 2 == 1
        return value if quoted or _PLAIN.fullmatch(value) else shlex.quote(value)

    return _PLACEHOLDER.sub(replace, command)


_PLAIN = re.compile(r"[A-Za-z0-9_.:/@-]+")
