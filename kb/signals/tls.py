"""TLS and X.509 failures as OpenSSL/BoringSSL, Go and curl print them, normalised to upper-case reasons."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all, first_group
from kb.vocabulary import SignalKind

name = "tls"
description = "TLS/X.509 failure reasons: BoringSSL/OpenSSL reason codes, Go x509 errors, curl SSL messages."

# BoringSSL `...:SSL routines:OPENSSL_internal:REASON` and bare reason codes, kept as written.
_CODE = re.compile(
    r"(?:SSL routines|OPENSSL_internal)[:_]{1,2}(?:[a-z0-9_]{1,60}:)?([A-Z][A-Z0-9_]{3,63})\b"
    r"|\b((?:SSLV3|TLSV1(?:_[0-9])?)_ALERT_[A-Z_]{3,40}|SSL_ERROR_[A-Z_]{3,30}|CERTIFICATE_VERIFY_FAILED"
    r"|WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|HTTP_REQUEST|NO_SHARED_CIPHER)\b"
)
# Messages that name a reason in words (OpenSSL 1.1 lower case, Go's crypto/tls and x509, curl).
_WORDS = (
    (re.compile(r"(?i)wrong version number"), "WRONG_VERSION_NUMBER"),
    (re.compile(r"(?i)\bunknown protocol\b"), "UNKNOWN_PROTOCOL"),
    (re.compile(r"(?i)certificate verify failed"), "CERTIFICATE_VERIFY_FAILED"),
    (
        re.compile(
            r"x509: certificate signed by unknown authority|unable to get local issuer certificate"
            r"|self[- ]signed certificate"
        ),
        "UNKNOWN_AUTHORITY",
    ),
    (re.compile(r"x509: certificate has expired|certificate has expired|CERTIFICATE_EXPIRED"), "CERTIFICATE_EXPIRED"),
    (
        re.compile(
            r"x509: certificate is valid for|no alternative certificate subject name matches"
            r"|doesn't contain any IP SANs|certificate subject name .{0,100} does not match"
        ),
        "HOSTNAME_MISMATCH",
    ),
    (re.compile(r"(?i)tls: handshake failure|sslv3 alert handshake failure"), "HANDSHAKE_FAILURE"),
    (re.compile(r"tls: first record does not look like a TLS handshake"), "NOT_TLS"),
)


_CODE_NEEDLES = ("SSL", "TLS", "CERTIFICATE", "WRONG", "UNKNOWN", "HTTP_REQUEST", "CIPHER")
_WORD_NEEDLES = ("version number", "protocol", "certificate", "x509", "handshake", "sans", "tls:")


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _CODE, SignalKind.TLS_ERROR, first_group, _CODE_NEEDLES)
    for pattern, reason in _WORDS:
        found += find_all(paste, pattern, SignalKind.TLS_ERROR, constant(reason), _WORD_NEEDLES, ignore_case=True)
    return found
