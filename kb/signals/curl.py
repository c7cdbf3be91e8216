"""curl's own error lines: `curl: (35) ...`."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "curl"
description = "curl exit codes from `curl: (N) message` (7 connect, 28 timeout, 35 TLS, 56 recv, 60 cert)."

_EXIT = re.compile(r"\bcurl: \(([0-9]{1,2})\)")


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _EXIT, SignalKind.CURL_EXIT, first_group, ("curl: (",))
