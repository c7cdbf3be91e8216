"""The bodies Envoy sends when it answers a request itself (its "local replies")."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all, matches
from kb.vocabulary import SignalKind

name = "local_reply"
description = (
    "Envoy local-reply bodies: `upstream connect error ... reset reason: ...`, `no healthy upstream`, RBAC, JWT."
)

# router.cc: "upstream connect error or disconnect/reset before headers. " [+ "retried and the latest "]
# + "reset reason: <reason>" [+ ", transport failure reason: <tfr>"].
_UPSTREAM = re.compile(
    r"upstream connect error or disconnect/reset before headers\.?"
    r"(?: (?:retried and the latest )?reset reason: ([a-z]+(?: [a-z]+){0,5})"
    r"(?:, transport failure reason: ([^\"\n\\]{1,400}))?)?"
)
# Fixed bodies of the router, RBAC and JWT filters, as Envoy writes them.
BODIES = (
    "no healthy upstream", "upstream request timeout", "RBAC: access denied", "Jwt is missing",
    "Jwt issuer is not configured", "Jwks remote fetch is failed", "Jwt verification fails", "Jwt is expired",
    "Jwt is not yet valid", "Jwks doesn't have key to match kid or alg from Jwt", "Jwt audiences are not allowed",
    "local_rate_limited", "stream timeout", "Upgrade Required",
)  # fmt: skip
_BODY = re.compile("|".join(re.escape(body) for body in BODIES))
# `RBAC: access denied` is also what other authorization frameworks (a developer portal's, a database's) write at
# the end of their own error chains: `refresh failed for location:<id>: RBAC: access denied`. There it is Envoy's
# reply only with the status Envoy sends it with on the same line, or when the part before the colon names a
# reply (`body: ...`, `error: ...`). Quoted, alone on its line, or after other words it stays Envoy's body.
_CHAINED = {"RBAC: access denied": re.compile(r"\b403\b|Forbidden|PermissionDenied", re.IGNORECASE)}
_REPLY_WORD = re.compile(r"(?:^|\W)(?:body|response|reply|error|message|msg|desc|output)\W*$", re.IGNORECASE)
# The last `:`-separated part of a BoringSSL error is its reason, e.g. CERTIFICATE_VERIFY_FAILED.
_TLS_REASON = re.compile(r":([A-Z][A-Z0-9_]{3,63})\s*$")


def _upstream(match: re.Match[str], line: int) -> list[Signal]:
    found = [Signal(SignalKind.LOCAL_REPLY, "upstream connect error", line)]
    if match[1]:
        # Bodies printed back to back (`... connection timeoutupstream connect error ...`) share no separator.
        reason = match[1].split("upstream connect error", 1)[0].removesuffix("upstream").strip()
        found.append(Signal(SignalKind.RESET_REASON, reason or match[1], line))
    if match[2]:
        transport = match[2].strip().rstrip(".")
        found.append(Signal(SignalKind.TRANSPORT_FAILURE_REASON, transport.replace(" ", "_"), line))
        tls = _TLS_REASON.search(transport)
        if tls:
            found.append(Signal(SignalKind.TLS_ERROR, tls[1], line))
    return found


def extract(paste: Paste) -> list[Signal]:
    found = [
        s for line, match in matches(paste, _UPSTREAM, ("upstream connect error",)) for s in _upstream(match, line)
    ]
    return found + find_all(paste, _BODY, SignalKind.LOCAL_REPLY, _reply, BODIES)


def _reply(match: re.Match[str]) -> str | None:
    """The body, unless it ends another program's colon-chained error (see _CHAINED)."""
    status = _CHAINED.get(match[0])
    before = match.string[: match.start()].rstrip()
    if status is None or not before.endswith(":") or status.search(match.string):
        return match[0]
    return match[0] if _REPLY_WORD.search(before[:-1]) else None
