"""Envoy cluster names: Istio's `direction|port|subset|host` and the special pass-through clusters."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "clusters"
description = "Envoy cluster names: `outbound|80|v1|reviews.default.svc.cluster.local`, BlackHoleCluster, ..."

CLUSTER = re.compile(
    r"\b((?:outbound|inbound)\|[0-9]{1,5}\|[A-Za-z0-9_.-]{0,63}\|[A-Za-z0-9_.*-]{0,253})"
    r"|\b(BlackHoleCluster|PassthroughCluster|InboundPassthroughClusterIpv[46]|InboundPassthroughCluster)\b"
)


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, CLUSTER, SignalKind.UPSTREAM_CLUSTER, first_group, ("bound|", "Cluster"))
