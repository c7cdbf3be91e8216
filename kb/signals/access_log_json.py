"""Istio/Envoy access logs in the JSON format (`accessLogEncoding: JSON`), one object per line."""

from __future__ import annotations

import json
import re

from kb.signals.access_log import signals_of
from kb.signals.base import Paste, Signal, matches

name = "access_log_json"
description = "Istio/Envoy JSON access-log objects: status, flags, details, transport failure, upstream cluster."

_KEYS = {
    "response_code": "code",
    "response_flags": "flags",
    "response_code_details": "details",
    "connection_termination_details": "termination",
    "upstream_transport_failure_reason": "transport",
    "upstream_cluster": "cluster",
}


def parse(text: str) -> dict[str, str] | None:
    """The access-log fields of the JSON object on this line, renamed like the TEXT parser's, or None."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        record = json.loads(text[start : end + 1])
    except (ValueError, RecursionError):  # a record is flat; thousands of nested brackets are not one
        return None
    if not isinstance(record, dict):
        return None
    fields = {short: str(record[key]) for key, short in _KEYS.items() if record.get(key) not in (None, "")}
    for key in ("authority", "upstream_host", "downstream_remote_address", "requested_server_name"):
        if isinstance(record.get(key), str):
            fields[key] = record[key]
    return fields if "code" in fields or "flags" in fields else None


# A line that mentions one of the keys; the JSON parser then decides whether it is a record.
_CANDIDATE = re.compile(r'^[^\n]{0,16384}"response_(?:code|flags)"[^\n]{0,16384}', re.MULTILINE)


def extract(paste: Paste) -> list[Signal]:
    found: list[Signal] = []
    for line, match in matches(paste, _CANDIDATE, ('"response_code"', '"response_flags"')):
        fields = parse(match[0])
        if fields is not None:
            found += signals_of(fields, line)
    return found
