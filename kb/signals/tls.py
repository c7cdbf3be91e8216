"""TLS and X.509 failures as OpenSSL/BoringSSL, Go and curl print them, normalised to upper-case reasons."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, constant, find_all, first_group
from kb.vocabulary import SignalKind

name = "tls"
description = (
    "TLS/X.509 failure reasons: BoringSSL/OpenSSL reason codes, Go x509 errors, curl SSL messages, and a "
    "server certificate (curl -v, openssl s_client) issued to another site than the host connected to."
)

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
    (re.compile(r"(?i)verify error:num=62:hostname mismatch"), "HOSTNAME_MISMATCH"),
    (re.compile(r"(?i)tls: handshake failure|sslv3 alert handshake failure"), "HANDSHAKE_FAILURE"),
    (re.compile(r"tls: first record does not look like a TLS handshake"), "NOT_TLS"),
)


_CODE_NEEDLES = ("SSL", "TLS", "CERTIFICATE", "WRONG", "UNKNOWN", "HTTP_REQUEST", "CIPHER")
_WORD_NEEDLES = ("version number", "protocol", "certificate", "x509", "handshake", "sans", "tls:", "mismatch")


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _CODE, SignalKind.TLS_ERROR, first_group, _CODE_NEEDLES)
    for pattern, reason in _WORDS:
        found += find_all(paste, pattern, SignalKind.TLS_ERROR, constant(reason), _WORD_NEEDLES, ignore_case=True)
    return found + _served_for_another_site(paste)


# The host a TLS client connected to, as curl -v and openssl s_client print it.
_HOST = re.compile(
    r"^\* (?:Connected to|Host) ([A-Za-z0-9.-]{1,253})[ :]"
    r"|openssl s_client\b[^\n]*?-(?:connect|servername)[ =]([A-Za-z0-9.-]{1,253})"
)
# The leaf certificate's subject: curl's `*  subject: ...; CN=x`, openssl's `subject=... CN = x`, `depth=0 ...
# CN = x` and ` 0 s:... CN = x` (old versions: `/CN=x`).
_LEAF = re.compile(r"^(?:\*\s+subject:|subject=|depth=0 |\s*0 s:)[^\n]*?\bCN ?= ?([*A-Za-z0-9.-]{1,253})")
_IP = re.compile(r"[0-9.]+|[0-9a-fA-F:]+")


def _served_for_another_site(paste: Paste) -> list[Signal]:
    """HOSTNAME_MISMATCH where the server's certificate names a different site than the host connected to.

    This is what a client sees when its traffic was delivered to the wrong server (a hijacked port), even
    with verification off (`curl -k`, `openssl s_client`). Only the subject's common name is printed, so a
    name counts as the same site when it shares the host's last two labels (`*.google.com` for google.com).
    """
    if "CN" not in paste.text or "matched cert's" in paste.text:
        return []  # curl says the certificate's names matched the host
    found = []
    host = None
    for offset, line in paste.regions(("connected to", "* host ", "s_client", "subject", "depth=0", " s:"), True):
        seen = _HOST.search(line)
        if seen:
            host = (seen[1] or seen[2]).lower().rstrip(".")
            continue
        leaf = _LEAF.search(line)
        if leaf and host and not _IP.fullmatch(host) and "." in host and not _same_site(host, leaf[1].lower()):
            found.append(Signal(SignalKind.TLS_ERROR, "HOSTNAME_MISMATCH", paste.line_at(offset)))
    return found


def _same_site(host: str, name: str) -> bool:
    return name.removeprefix("*.").split(".")[-2:] == host.split(".")[-2:]
