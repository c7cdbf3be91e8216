"""`istioctl analyze` message codes."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "analyzer"
description = "istioctl analyze codes such as IST0101 or IST0173."

_CODE = re.compile(r"\b(IST[0-9]{4})\b")


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _CODE, SignalKind.ANALYZER_CODE, first_group, ("IST",))
