"""gRPC status codes from Go errors, xDS stream messages and grpc-status headers."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all
from kb.vocabulary import SignalKind

name = "grpc"
description = (
    "gRPC status as its canonical name: `rpc error: code = Unavailable`, `config stream closed: 14`, grpc-status."
)

CODES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)  # fmt: skip
# Go prints the CamelCase name (`Unavailable`, `DeadlineExceeded`); gRPC headers and Envoy print numbers.
_BY_CAMEL = {code.replace("_", "").lower(): code for code in CODES} | {"canceled": "CANCELLED"}
_STATUS = re.compile(
    r"\bcode = ([A-Za-z]{2,20})\b"
    r"|\bconfig stream closed(?: since [0-9.]{1,12}s ago)?: ([0-9]{1,2})\b"
    r"|\bgrpc[-_]status\"?\s{0,2}[:=]\s{0,2}\"?([0-9]{1,2})\b"
)


def _code(match: re.Match[str]) -> str | None:
    if match[1]:
        return _BY_CAMEL.get(match[1].lower())
    number = int(match[2] or match[3])
    return CODES[number] if number < len(CODES) else None


def extract(paste: Paste) -> list[Signal]:
    return find_all(
        paste, _STATUS, SignalKind.GRPC_STATUS, _code, ("code = ", "stream closed", "grpc-status", "grpc_status")
    )
