"""TLS and X.509 failures as OpenSSL/BoringSSL, Go and curl print them, normalised to upper-case reasons."""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    return found + _served_for_another_host(paste)


# The value for a served certificate whose subject names another site than the host the client asked for.
ANOTHER_HOST = "CERTIFICATE_FOR_ANOTHER_HOST"
# A curl or openssl command starts a new session; it names the host asked for (the URL's host, openssl's
# -servername, else its -connect host), which wins over what curl prints later (a proxy, --connect-to).
_COMMAND = re.compile(r"\b(?:curl|openssl)\s")
_URL_HOST = re.compile(r"\bhttps://([A-Za-z0-9.-]{1,253})")
_SERVERNAME = re.compile(r"\s-servername[ =]([A-Za-z0-9.-]{1,253})")
_CONNECT = re.compile(r"\s-connect[ =]([A-Za-z0-9.-]{1,253})")
# curl -v's own account of the host, when the command line is not in the paste.
_CURL_HOST = re.compile(r"\* (?:Host|Connected to|Establish HTTP proxy tunnel to) ([A-Za-z0-9.-]{1,253})[ :]")
# The leaf certificate's subject: curl's `*  subject: ...; CN=x`, openssl's `subject=... CN = x`, `depth=0 ...
# CN = x` and ` 0 s:... CN = x` (old versions: `/CN=x`).
_LEAF = re.compile(r"(?:\*\s+subject:|subject=|depth=0 |\s*0 s:)[^\n]*?\bCN ?= ?([*A-Za-z0-9.-]{1,253})")
_IP = re.compile(r"[0-9.]+|[0-9a-fA-F:]+")
_NEEDLES = ("curl", "openssl", "* host ", "connected to", "proxy tunnel", "matched cert", "subject", "depth=0", " s:")
# Second-level labels under which a site's name has three labels (example.co.uk, example.com.au).
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "ac", "edu"})


def _served_for_another_host(paste: Paste) -> list[Signal]:
    """CERTIFICATE_FOR_ANOTHER_HOST where the server's certificate names another site than the host asked for.

    That is what a client sees when its bytes were delivered to the wrong server (a hijacked port), even with
    verification off (`curl -k`, `openssl s_client`). Only the subject's common name is printed, so names
    count as the same site when they share the host's registrable part (`*.google.com` for google.com), and a
    short name as the first label of the host; a certificate whose CN is another site but whose SANs cover
    the host (www.youtube.com serves `CN=*.google.com`) is still reported. curl's `matched cert's` line
    clears its own session.
    """
    if "CN" not in paste.text:
        return []
    found: list[Signal] = []
    session: list[Signal] = []
    host: str | None = None
    named_by_command = False
    for number, line in _lines(paste, _NEEDLES):
        if _COMMAND.search(line):
            found += session
            session, host = [], _command_host(line)
            named_by_command = host is not None
        elif "matched cert's" in line:
            session = []
        elif (seen := _CURL_HOST.match(line)) and not named_by_command:
            host = seen[1].lower().rstrip(".")
        elif (leaf := _LEAF.match(line)) and host and _comparable(host) and not _same_site(host, leaf[1].lower()):
            session.append(Signal(SignalKind.TLS_ERROR, ANOTHER_HOST, number))
    return found + session


def _lines(paste: Paste, needles: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines holding one of `needles`, in order."""
    for offset, block in paste.regions(needles, ignore_case=True):
        first = paste.line_at(offset)
        for index, line in enumerate(block.split("\n")):
            yield first + index, line


def _command_host(line: str) -> str | None:
    if "s_client" in line:
        seen = _SERVERNAME.search(line) or _CONNECT.search(line)
    elif "curl" in line:
        seen = _URL_HOST.search(line)
    else:
        seen = None  # another openssl command (x509, req...): no host
    return seen[1].lower().rstrip(".") if seen else None


def _comparable(host: str) -> bool:
    return "." in host and not _IP.fullmatch(host)


def _same_site(host: str, name: str) -> bool:
    name = name.removeprefix("*.")
    if "." not in name:
        return host.split(".")[0] == name  # a short service name, as in-cluster certificates use
    return _site(name) == _site(host)


def _site(name: str) -> list[str]:
    labels = name.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return labels[-keep:]
