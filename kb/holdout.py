"""`kb eval --holdout-sources`: each case is matched by a library that has never seen the thread it came from.

A field case is a paste from a public thread. When a runbook took an example from that thread, or cites it
among its references, matching the case measures how well the library remembers its sources, not how well it
generalises. Here every case whose source a runbook uses is matched (and answered by the BM25 baseline) with
those examples and references taken out of every runbook, so citing a thread never inflates its score.
Symptoms carry no source and stay; so do signatures, which are written from all the examples.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kb.catalog import Catalog, Entry
from kb.documents import cited_pages, document_of
from kb.library import Library
from kb.rank import Scorer
from kb.search import SearchIndex, cut_chinese

_GITHUB_THREAD = re.compile(r"^(github\.com/[^/]+/[^/]+)/(?:issues|pull|discussions)/(\d+)")


def source_key(url: str) -> str:
    """One key per thread or page: no scheme, `www.`, fragment or trailing slash, host in lower case, and a
    GitHub issue, pull request or discussion number whatever follows it (`#issuecomment-...`, `/files`)."""
    text = url.strip().split("#", 1)[0]
    text = re.sub(r"^[a-zA-Z]+://", "", text).rstrip("/")
    host, _, rest = text.partition("/")
    host = host.lower().removeprefix("www.")
    key = f"{host}/{rest}" if rest else host
    thread = _GITHUB_THREAD.match(key)
    return f"{thread.group(1).lower()}#{thread.group(2)}" if thread else key


def cited_keys(library: Library) -> set[str]:
    """The sources every runbook of the library uses: its example sources and reference URLs."""
    keys: set[str] = set()
    for runbook in library.catalog:
        keys.update(source_key(example.source) for example in runbook.examples if "://" in example.source)
        keys.update(source_key(reference.url) for reference in runbook.references)
    return keys


def without_source(library: Library, key: str) -> Library:
    """The library with every example and reference from the source `key` taken out of every runbook."""
    entries = []
    for runbook in library.catalog:
        examples = tuple(e for e in runbook.examples if "://" not in e.source or source_key(e.source) != key)
        references = tuple(r for r in runbook.references if source_key(r.url) != key)
        if len(examples) != len(runbook.examples) or len(references) != len(runbook.references):
            runbook = runbook.model_copy(update={"examples": examples, "references": references})
        entries.append(Entry(runbook, library.catalog.path_of(runbook.id)))
    catalog = Catalog(entries)
    cited = {runbook.id: tuple(cited_pages(runbook)) for runbook in catalog}
    index = SearchIndex.in_memory([document_of(runbook, cut_chinese, cited[runbook.id]) for runbook in catalog])
    return Library(catalog, index, Scorer(catalog, cited))


@dataclass(frozen=True)
class Plan:
    """Which cases the full library may answer, and which need a library without their source."""

    shared: tuple[int, ...]
    held_out: dict[str, tuple[int, ...]]


def plan(sources: Sequence[str | None], library: Library) -> Plan:
    used = cited_keys(library)
    shared: list[int] = []
    held: dict[str, list[int]] = defaultdict(list)
    for number, source in enumerate(sources):
        key = source_key(source) if source else None
        if key is not None and key in used:
            held[key].append(number)
        else:
            shared.append(number)
    return Plan(tuple(shared), {key: tuple(numbers) for key, numbers in held.items()})
