"""Response headers that show Envoy answered, and whether the reply came from Envoy itself or the upstream."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kb.signals.base import Paste, Signal, find_all
from kb.vocabulary import SignalKind

name = "envoy_headers"
description = (
    "Who wrote a reply that passed through Envoy (Envoy itself when the server header says envoy and "
    "`x-envoy-upstream-service-time` is missing, else the upstream), and the `x-envoy-*` headers that say why."
)

# An `x-envoy-*` header line as curl -v (`< name: value`), curl -I, wget -S or httpie print it.
_ENVOY_HEADER = re.compile(r"(?im)^[<\s]{0,4}(x-envoy-[a-z0-9-]{1,40})[ \t]{0,4}(?::|$)")
# The server header Envoy writes (`istio-envoy` on Istio's gateways), as a lower-cased header line.
_ENVOY_SERVER = re.compile(r"server:\s*(?:istio-)?envoy")
_STATUS_LINE = re.compile(r"(?m)^[<\s]{0,4}HTTP/[0-9.]{1,3} [1-5][0-9][0-9]\b")
_HEADER_LINE = re.compile(r"^[<\s]{0,4}[A-Za-z0-9-]{1,60}:")
# Envoy's router adds this header to every response it got from an upstream; local replies lack it.
_UPSTREAM_TIME = "x-envoy-upstream-service-time"
# Headers Envoy puts on ordinary traffic: they say a proxy was on the path, not what went wrong, and the
# `replied_by` signal already says what they tell. Only the other `x-envoy-*` headers become signals.
ROUTINE = frozenset(
    {
        "x-envoy-upstream-service-time",
        "x-envoy-decorator-operation",
        "x-envoy-peer-metadata",
        "x-envoy-peer-metadata-id",
        "x-envoy-attempt-count",
        "x-envoy-expected-rq-timeout-ms",
        "x-envoy-original-path",
        "x-envoy-internal",
        "x-envoy-external-address",
    }
)
# A response's header block ends at a blank or non-header line; a block longer than this is not one.
MAX_HEADER_LINES = 60


def _header(match: re.Match[str]) -> str | None:
    header = match[1].lower()
    return None if header in ROUTINE else header


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _ENVOY_HEADER, SignalKind.ENVOY_HEADER, _header, ("x-envoy-",), ignore_case=True)
    return found + _replies(paste)


def _replies(paste: Paste) -> list[Signal]:
    """One `replied_by` signal per response whose headers show Envoy wrote it or passed it on."""
    found = []
    for offset, _ in paste.regions(("HTTP/",)):
        if not _STATUS_LINE.match(paste.text, offset):
            continue
        headers = []
        for line in _lines_after(paste.text, offset, MAX_HEADER_LINES):
            if not _HEADER_LINE.match(line):
                break
            headers.append(line.strip("< \t\r").lower())
        if any(header.startswith(_UPSTREAM_TIME) for header in headers):
            found.append(Signal(SignalKind.REPLIED_BY, "upstream", paste.line_at(offset)))
        elif any(_ENVOY_SERVER.fullmatch(header) for header in headers):
            found.append(Signal(SignalKind.REPLIED_BY, "envoy", paste.line_at(offset)))
    return found


def _lines_after(text: str, offset: int, most: int) -> Iterator[str]:
    """Up to `most` lines after the line starting at `offset`, sliced one by one.

    Slicing `text[offset:]` and splitting it copied the rest of the paste for every status line: a paste of
    repeated `curl -I` output took quadratic time (68 s for 16 MB).
    """
    start = text.find("\n", offset)
    for _ in range(most):
        if start < 0:
            return
        end = text.find("\n", start + 1)
        yield text[start + 1 : end if end >= 0 else len(text)]
        start = end
