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
# A 15xxx number is a port wherever it stands alone; 53 only as `:53`, `port 53` or `53/UDP`.
_PORT = re.compile(
    rf"(?<![\w.-])({'|'.join(PORTS)})(?![\w.-]|\.[0-9])"
    r"|(?::|\bport:?\s?)(53)\b|\b(53)/(?:UDP|TCP|udp|tcp)\b"
)


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _PORT, SignalKind.MESH_PORT, first_group, (*PORTS, "53"))
