"""Links to Istio or Envoy documentation pages and to their GitHub threads, as canonical page names."""

from __future__ import annotations

import re

from kb.signals.base import Paste, Signal, find_all
from kb.vocabulary import SignalKind

name = "links"
description = (
    "Links to istio.io / envoyproxy.io pages (any version or language) and to istio / envoyproxy GitHub "
    "issues, pull requests and discussions, named without scheme, version and anchor."
)

_DOC = re.compile(r"(?i)https?://(?:[a-z0-9-]{1,30}\.){0,2}(istio\.io|envoyproxy\.io)(/[A-Za-z0-9._~%/-]{0,300})")
_THREAD = re.compile(
    r"(?i)https?://github\.com/((?:istio|envoyproxy)/[A-Za-z0-9._-]{1,60}/(?:issues|pull|discussions)/[0-9]{1,7})\b"
)
# Path segments that name a version or a language, not a page: /latest/, /v1.20/, /v1.27.0/, /zh/.
_NOT_A_PAGE = re.compile(r"(?i)latest|main|v?[0-9]+(?:\.[0-9x]+){1,2}|zh|en|uk|pt-br")
# Fewer path segments than this name a section or the home page, which says nothing about a failure.
MIN_SEGMENTS = 3


def _page(match: re.Match[str]) -> str | None:
    segments = [part for part in match[2].lower().split("/") if part and not _NOT_A_PAGE.fullmatch(part)]
    if len(segments) < MIN_SEGMENTS:
        return None
    return "/".join([match[1].lower(), *segments])


def _thread(match: re.Match[str]) -> str:
    return f"github.com/{match[1].lower()}"


def extract(paste: Paste) -> list[Signal]:
    found = find_all(paste, _DOC, SignalKind.LINK, _page, ("istio.io", "envoyproxy.io"), ignore_case=True)
    return found + find_all(paste, _THREAD, SignalKind.LINK, _thread, ("github.com/",), ignore_case=True)
