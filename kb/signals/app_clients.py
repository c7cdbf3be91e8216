"""What application clients print when a call through the mesh fails: gRPC statuses in Java, Node and Python
wording, and HTTP/2 GOAWAY frames.

Go's `rpc error: code = Unavailable` is read by the `grpc` extractor; here the other clients' spellings map to
the same canonical `grpc_status` names, and a GOAWAY the client saw becomes `dial_error = goaway` (the peer, often
an Envoy draining or rotating the connection, told the client to stop using it).
"""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all
from kb.signals.grpc import CODES
from kb.vocabulary import SignalKind

name = "app_clients"
description = (
    "gRPC statuses as Java (`StatusRuntimeException: UNAVAILABLE`), Node (`14 UNAVAILABLE:`) and Python "
    "(`StatusCode.UNAVAILABLE`) print them, and HTTP/2 GOAWAY frames (`dial_error = goaway`)."
)

_CODE = "|".join(CODES)
_STATUS = re.compile(
    rf"\bStatus(?:Runtime)?Exception: ({_CODE})\b"  # grpc-java
    rf"|\bStatus\{{code=({_CODE})\b"  # grpc-java Status.toString()
    rf"|(?<![\w.])1?[0-9] ({_CODE}): "  # grpc-js / grpc-node `14 UNAVAILABLE: ...`
    rf"|\bStatusCode\.({_CODE})\b"  # grpcio
)
# Every match names a status in capitals (`OK` is left out: it is never an error and is everywhere).
_NEEDLES = tuple(code for code in CODES if code != "OK")
_GOAWAY = re.compile(r"\bGOAWAY\b|\bgoaway frame\b|received prior goaway|go[ _]?away received", re.IGNORECASE)


def _code(match: re.Match[str]) -> str | None:
    return next((group for group in match.groups() if group), None)


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _STATUS, SignalKind.GRPC_STATUS, _code, _NEEDLES)
    return found + find_all(paste, _GOAWAY, SignalKind.DIAL_ERROR, constant("goaway"), ("goaway",), ignore_case=True)
