"""Short Envoy fragments pasted on their own: a lone flag list, `{local reset} LR`, a detail cut off mid-way.

People paste the part of an access-log line they noticed. Without the rest of the line the other extractors
see no context (`503 UF`, `response_flags:`), so a line that is nothing but Envoy response flags, a reset
reason in braces followed by flags, an `upstream_reset_..._response_started{` detail whose closing brace
was lost, or the tail of a local-reply body (`reset reason: connection termination`) quoted in a sentence
still says what Envoy did.
"""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, matches
from kb.signals.response_flags import FLAGS
from kb.vocabulary import SignalKind

name = "fragments"
description = (
    "A line of only Envoy flags (`UF,URX`), `{local reset} LR`, a truncated `upstream_reset_...{reason`, or a "
    "quoted `reset reason: ...`."
)

_LIST = rf"(?:{'|'.join(FLAGS)})(?:,(?:{'|'.join(FLAGS)}))*"
_LONE = re.compile(
    rf"^[ \t\"'`]{{0,4}}(?:\{{([a-z][a-z_ ]{{2,60}})\}}[ \t]+)?({_LIST})[ \t\"'`.]{{0,4}}$", re.MULTILINE
)
_CUT = re.compile(
    r"\b(upstream_reset_(?:before|after)_response_started)\{([a-z_]{3,60})(?:[,|][^{}\s\"]{0,200})?$", re.M
)

# Envoy's stream reset reasons as its local-reply body spells them (Http::Utility::resetReasonToString;
# `connection failure` is the pre-1.18 spelling of the two connection failures). Only these are read after a
# bare `reset reason:`, so a sentence that goes on after the words is not taken for a reason.
RESET_REASONS = (
    "local connection failure", "remote connection failure", "connection failure", "connection timeout",
    "connection termination", "local refused stream reset", "remote refused stream reset", "local reset",
    "remote reset", "overflow", "protocol error", "overload manager reset",
)  # fmt: skip
_REASON = re.compile(
    r"\breset[ _]reason\b[ \t]{0,2}[:=]?[ \t]{0,4}[\"'`]?("
    + "|".join(reason.replace(" ", "[ _]") for reason in RESET_REASONS)
    + r")\b",
    re.IGNORECASE,
)


def extract(paste: Paste) -> list[Signal]:
    found: list[Signal] = []
    for line, match in matches(paste, _LONE):
        if match[1]:
            found.append(Signal(SignalKind.RESET_REASON, match[1].replace("_", " ").strip(), line))
        found += [Signal(SignalKind.RESPONSE_FLAG, flag, line) for flag in match[2].split(",")]
    for line, match in matches(paste, _CUT, ("upstream_reset_",)):
        found.append(Signal(SignalKind.RESPONSE_CODE_DETAILS, f"{match[1]}{{{match[2]}}}", line))
        found.append(Signal(SignalKind.RESET_REASON, match[2].replace("_", " "), line))
    for line, match in matches(paste, _REASON, ("reset reason", "reset_reason"), ignore_case=True):
        found.append(Signal(SignalKind.RESET_REASON, match[1].lower().replace("_", " "), line))
    return found
