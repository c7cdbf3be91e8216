"""Istio's well-known ports (istio.io application requirements) mentioned in the paste."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "mesh_ports"
description = "Istio well-known ports: Envoy 15000-15090, istiod 15010/15012/15014/15017, 15443, DNS 53."

PORTS = (
    "15000", "15001", "15004", "15006", "15008", "15009", "15010", "15012", "15014", "15017", "15020",
    "15021", "15053", "15090", "15443",
)  # fmt: skip
# A number is a port only where it reads as one: `host:15012`, `port 15012`, `targetPort: 15017`, a list
# `15021,15443`, a cluster `outbound|15012||...` or `15012/TCP`. A bare 15012 in a log is as likely a
# request id or a byte count.
_BEFORE = r"(?:[:|,]|(?i:port)s?[ =:]{1,3}|(?i:port)s?: )"
_PORT = re.compile(
    rf"{_BEFORE}({'|'.join(PORTS)})(?![\w.-]|\.[0-9])"
    rf"|(?<![\w.-])({'|'.join(PORTS)})/(?:TCP|UDP|tcp|udp)\b"
    rf"|{_BEFORE}(53)\b|\b(53)/(?:UDP|TCP|udp|tcp)\b"
)


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _PORT, SignalKind.MESH_PORT, first_group, (*PORTS, "53"))
