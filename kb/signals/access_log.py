"""Istio/Envoy access-log lines in the default TEXT format, with and without the 1.9+ details fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.signals.base import Paste, Signal, matches
from kb.vocabulary import SignalKind

name = "access_log"
description = "Istio/Envoy TEXT access-log lines: status, flags, details, transport failure, upstream cluster."

# `[START_TIME] "METHOD PATH PROTOCOL" CODE FLAGS ...`; the rest is split into tokens below.
# The start time is often trimmed off a pasted line, so it is optional; the quoted request must then
# look like one (`METHOD PATH PROTOCOL` or TCP's `- - -`).
_HEAD = re.compile(
    r'(?:\[(\d{4}-\d\d-\d\dT[0-9:.]{1,20}Z)\] )?"([A-Z]{3,10} [^"\s]{1,2048} [A-Z0-9/.]{3,10}|- - -)" '
    r"(\d{1,3}) ([A-Z,]{1,64}|-) ([^\n]{0,4096})"
)
_TOKEN = re.compile(r'"[^"]*"|\S+')
# Field positions after FLAGS (MESH-FORMATS 1.4). Istio 1.9+ adds details, termination details and the
# quoted transport failure reason; older lines go straight to BYTES_RECEIVED, a number.
_NEW = ("details", "termination", "transport", "rx", "tx", "duration", "upstream_time", "xff", "agent",
        "request_id", "authority", "upstream_host", "cluster", "upstream_local", "downstream_local",
        "downstream_remote", "sni", "route")  # fmt: skip
_OLD = _NEW[3:]


_KINDS = {
    "details": SignalKind.RESPONSE_CODE_DETAILS,
    "termination": SignalKind.CONNECTION_TERMINATION_DETAILS,
    "transport": SignalKind.TRANSPORT_FAILURE_REASON,
    "cluster": SignalKind.UPSTREAM_CLUSTER,
}


def signals_of(fields: dict[str, str], line: int) -> list[Signal]:
    """Signals of one parsed access-log record; shared with the JSON format."""
    found = [Signal(SignalKind.HTTP_STATUS, fields["code"], line)] if fields.get("code", "-") != "-" else []
    found += [Signal(SignalKind.RESPONSE_FLAG, flag, line) for flag in fields.get("flags", "-").split(",")
              if flag and flag != "-"]  # fmt: skip
    for field, kind in _KINDS.items():
        value = fields.get(field, "-").strip()
        if value and value != "-":
            # Envoy writes these with spaces replaced by `_`; a JSON log may not have done so.
            found.append(Signal(kind, value.replace(" ", "_"), line))
    return found


def _fields(match: re.Match[str]) -> dict[str, str]:
    fields = {"start_time": match[1] or "-", "request": match[2], "code": match[3], "flags": match[4]}
    tokens = [token.strip('"') for token in _TOKEN.findall(match[5])]
    names = _OLD if tokens and tokens[0].isdigit() else _NEW
    fields.update(zip(names, tokens, strict=False))
    return fields


def records(paste: Paste) -> Iterator[tuple[int, dict[str, str]]]:
    """Every access-log record in the paste with its line number."""
    return ((line, _fields(match)) for line, match in matches(paste, _HEAD, ('" ',)))


def extract(paste: Paste) -> list[Signal]:
    return [signal for line, fields in records(paste) for signal in signals_of(fields, line)]
