"""Envoy response flags written outside an access-log line: `503 UH`, `response_flags: UF,URX`."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, matches
from kb.vocabulary import SignalKind

name = "response_flags"
description = "Envoy %RESPONSE_FLAGS% codes next to a status code, a `response_flags` label, or called flags or codes."

# Every core short flag (Envoy's stream_info utility); longest first so `UAEX` is not read as `UA`.
FLAGS = (
    "UMSDR", "RLSE", "RFCF", "NFCF", "UAEX", "UPE", "URX", "UDO", "DPE",
    "UH", "UF", "UO", "NR", "NC", "DT", "DC", "LH", "UT", "LR", "UR", "UC", "DI", "FI", "RL", "IH", "SI",
    "OM", "DF", "DO", "DR",
)  # fmt: skip
_FLAG = "|".join(FLAGS)
_LIST = rf"(?:{_FLAG})(?:,(?:{_FLAG}))*"
_CONTEXTS = re.compile(
    rf"(?<![\w./-])(?:[1-5][0-9][0-9]|0) ({_LIST})(?!\w)"  # `503 UH`, `0 DC`
    rf"|(?i:response[ _]?flags?|flags?)[\"']?\s{{0,3}}[:=]?\s{{0,3}}[\"']?(?-i:({_LIST}))(?!\w)"
    # Typed: `the UO flag`, `"DC" envoy codes`, `UH response flags`: the flags named as flags or codes.
    rf"|(?<![\w./-])[\"'`]?({_LIST})[\"'`]?[ \t]{{1,3}}(?i:(?:envoy|response)[ \t]{{1,3}}){{0,2}}(?i:flags?|codes?)\b"
)


_NEEDLES = ("flag", "FLAG", "Flag", "code", "Code", *(f" {flag}" for flag in FLAGS))


def extract(paste: Paste) -> list[Signal]:
    return [
        Signal(SignalKind.RESPONSE_FLAG, flag, line)
        for line, match in matches(paste, _CONTEXTS, _NEEDLES)
        for flag in (match[1] or match[2] or match[3]).split(",")
    ]
