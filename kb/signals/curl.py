"""curl's own error lines: `curl: (35) ...`."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "curl"
description = "curl exit codes: `curl: (N) message`, or `command terminated with exit code N` after kubectl exec curl."

_EXIT = re.compile(r"\bcurl: \(([0-9]{1,2})\)")
# `kubectl exec POD -- curl ...` reports only the exit status of curl when curl ran with -s.
_KUBECTL_EXIT = re.compile(r"\bcommand terminated with exit code ([0-9]{1,2})\b")


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _EXIT, SignalKind.CURL_EXIT, first_group, ("curl: (",))
    if "curl" in paste.text:
        found += find_all(paste, _KUBECTL_EXIT, SignalKind.CURL_EXIT, first_group, ("command terminated",))
    return found
