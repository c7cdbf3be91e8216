"""Failed network dials in Go, Envoy, curl and libc wording, normalised to one class each."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all
from kb.vocabulary import SignalKind

name = "dial_errors"
description = "Network dial failures: connection_refused, timeout, no_such_host, connection_reset, unreachable."

# Envoy's `delayed connect error: 111` is errno 111, ECONNREFUSED; `: 113` is EHOSTUNREACH.
_CLASSES = (
    ("connection_refused", re.compile(r"(?i)connection refused|ECONNREFUSED|connect error: 111\b")),
    (
        "timeout",
        re.compile(
            r"(?i)\bi/o timeout|context deadline exceeded|connection timed out|ETIMEDOUT"
            r"|\bdial tcp [^\s]{1,300}: timeout|Connection timeout"
        ),
    ),
    (
        "no_such_host",
        re.compile(
            r"(?i)no such host|NXDOMAIN|could not resolve host|name or service not known"
            r"|temporary failure in name resolution|server misbehaving"
        ),
    ),
    ("connection_reset", re.compile(r"(?i)connection reset by peer|ECONNRESET|connection reset\b")),
    ("unreachable", re.compile(r"(?i)network is unreachable|no route to host|EHOSTUNREACH|connect error: 113\b")),
)


# Lower-case words every match of the class contains (the patterns are case-insensitive).
NEEDLES = {
    "connection_refused": ("refused", "connect error: 111"),
    "timeout": ("timeout", "deadline exceeded", "timed out"),
    "no_such_host": ("no such host", "nxdomain", "resolve host", "not known", "name resolution", "misbehaving"),
    "connection_reset": ("reset",),
    "unreachable": ("unreachable", "no route to host", "connect error: 113"),
}


def extract(paste: Paste) -> list[Signal]:
    return [
        signal
        for kind, pattern in _CLASSES
        for signal in find_all(paste, pattern, SignalKind.DIAL_ERROR, constant(kind), NEEDLES[kind], ignore_case=True)
    ]
