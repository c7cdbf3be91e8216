"""xDS resource types named in Envoy / istio-agent messages (NACKs, stream logs)."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "xds"
description = "xDS resource types from type URLs: `type.googleapis.com/envoy.config.listener.v3.Listener` -> Listener."

_TYPE_URL = re.compile(
    r"type\.googleapis\.com/envoy\.(?:config|extensions|service)\.[a-z0-9_.]{1,80}\.v3\.([A-Za-z]{3,40})"
)


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _TYPE_URL, SignalKind.XDS_TYPE, first_group, ("type.googleapis.com/",))
