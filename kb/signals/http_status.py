"""HTTP status codes from curl/wget status lines, client errors and kubelet probe messages."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "http_status"
description = "HTTP status codes: `< HTTP/1.1 503`, `ERROR 503:`, `status code: 503`, `503 Service Unavailable`."

_REASONS = (
    "Bad Request", "Unauthorized", "Forbidden", "Not Found", "Request Timeout", "Payload Too Large",
    "Upgrade Required", "Too Many Requests", "Request Header Fields Too Large", "Internal Server Error",
    "Bad Gateway", "Service Unavailable", "Gateway Timeout",
)  # fmt: skip
_STATUS = re.compile(
    r"\bHTTP/[0-9.]{1,3} ([1-5][0-9][0-9])\b"  # curl -v `< HTTP/1.1 503 ...`, `HTTP/2 404`
    r"|\bERROR ([1-5][0-9][0-9]): "  # wget
    r"|':status', '([1-5][0-9][0-9])'"  # Envoy debug logs dumping response headers
    r"|(?i:\bstatus[ _-]?code|\bstatuscode|\bresponse[ _]code|\bstatus)\"?\s{0,2}[:=]?\s{0,2}([1-5][0-9][0-9])\b"
    rf"|(?<![\w./:-])([1-5][0-9][0-9]) (?:{'|'.join(_REASONS)})\b"
)


_NEEDLES = ("http/", "error ", "status", "code", *(reason.lower() for reason in _REASONS))


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _STATUS, SignalKind.HTTP_STATUS, first_group, _NEEDLES, ignore_case=True)
