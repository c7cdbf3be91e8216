"""HTTP status codes from curl/wget status lines, client errors and kubelet probe messages."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, first_group
from kb.vocabulary import SignalKind

name = "http_status"
description = "HTTP status codes: `< HTTP/1.1 503`, `ERROR 503:`, `status code: 503`, `503 Service Unavailable`."

# Reason phrases, matched in any case (typed text says `413 entity too large`), with the older RFC 2616 names
# that nginx and Java servers still print (`413 Request Entity Too Large`, `414 Request-URI Too Long`).
_REASONS = (
    "Bad Request", "Unauthorized", "Forbidden", "Not Found", "Method Not Allowed", "Request Timeout",
    "Payload Too Large", "Request Entity Too Large", "Entity Too Large", "URI Too Long", "Request-URI Too Long",
    "Misdirected Request", "Upgrade Required", "Too Many Requests", "Request Header Fields Too Large",
    "Internal Server Error", "Not Implemented", "Bad Gateway", "Service Unavailable", "Gateway Timeout",
    "HTTP Version Not Supported",
)  # fmt: skip
_STATUS = re.compile(
    r"\bHTTP/[0-9.]{1,3} ([1-5][0-9][0-9])\b"  # curl -v `< HTTP/1.1 503 ...`, `HTTP/2 404`
    r"|\bERROR ([1-5][0-9][0-9]): "  # wget
    r"|':status', '([1-5][0-9][0-9])'"  # Envoy debug logs dumping response headers
    r"|(?i:\bstatus[ _-]?code|\bstatuscode|\bresponse[ _]code|\bstatus)\"?\s{0,2}[:=]?\s{0,2}([1-5][0-9][0-9])\b"
    rf"|(?<![\w./:-])([1-5][0-9][0-9]) \(?(?i:{'|'.join(_REASONS)})\b"
)


_NEEDLES = ("http/", "error ", "status", "code", *(reason.lower() for reason in _REASONS))


def extract(paste: Paste) -> list[Signal]:
    return find_all(paste, _STATUS, SignalKind.HTTP_STATUS, first_group, _NEEDLES, ignore_case=True)
