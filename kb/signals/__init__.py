"""Signal extraction: one extractor per syntax, all behind one interface, listed in one registry.

An extractor is a module with a `name`, a one-line `description` and `extract(paste) -> list[Signal]`.
Extractors know syntax (Envoy, curl, gRPC, kubectl, istiod output); runbooks declare what it means.
"""

from __future__ import annotations

from kb.signals import (
    access_log,
    access_log_json,
    analyzer,
    app_clients,
    clusters,
    curl,
    data_plane,
    dial_errors,
    envoy_headers,
    fragments,
    grpc,
    http_status,
    istio_log,
    istio_status,
    k8s_events,
    k8s_pods,
    links,
    local_reply,
    manifests,
    mesh_ports,
    response_details,
    response_flags,
    tls,
    webhooks,
    xds,
)
from kb.signals.base import Extractor, Paste, Signal, dedupe

EXTRACTORS: tuple[Extractor, ...] = (
    access_log,
    access_log_json,
    analyzer,
    app_clients,
    clusters,
    curl,
    data_plane,
    dial_errors,
    envoy_headers,
    fragments,
    grpc,
    http_status,
    istio_log,
    istio_status,
    k8s_events,
    k8s_pods,
    links,
    local_reply,
    manifests,
    mesh_ports,
    response_details,
    response_flags,
    tls,
    webhooks,
    xds,
)


def extract(paste: Paste) -> list[Signal]:
    """Every signal every extractor finds in the paste, in line order, repeats dropped."""
    return dedupe([signal for extractor in EXTRACTORS for signal in extractor.extract(paste)])


__all__ = ["EXTRACTORS", "Extractor", "Paste", "Signal", "extract"]
