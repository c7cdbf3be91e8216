"""What the search index holds for a runbook: its words by field, and the identifiers its evidence names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kb.model import Runbook
from kb.signals import Paste, Signal, extract, links
from kb.vocabulary import SignalKind


@dataclass(frozen=True)
class Document:
    """What the index holds for one runbook; `zh` is already cut into space-separated words."""

    id: str
    title: str
    body: str
    zh: str
    exact: Sequence[str]
    symptoms: str = ""


def exact_token(kind: str, value: str) -> str:
    """One identifier for the `exact` field: `response_flag=UH`, `upstream_cluster=BlackHoleCluster`."""
    return f"{kind}={'_'.join(value.split())}"


def exact_tokens(signals: Iterable[Signal]) -> list[str]:
    return list(dict.fromkeys(exact_token(signal.kind, signal.value) for signal in signals))


def cited_pages(runbook: Runbook) -> list[str]:
    """The documentation pages and GitHub threads a runbook cites or took its examples from, as `link` values.

    A paste that links to one of them is about what the runbook covers (see kb.rank's citation rules).
    """
    urls = [reference.url for reference in runbook.references] + [example.source for example in runbook.examples]
    return list(dict.fromkeys(signal.value for signal in links.extract(Paste.of("\n".join(urls)))))


def document_of(runbook: Runbook, cut_chinese: Callable[[str], str], cited: Sequence[str] | None = None) -> Document:
    """The index document: English words, Chinese words, and identifiers from signatures and examples.

    Identifiers come from the values the signatures test and from the signals the runbook's own
    examples, symptoms and links (references, example sources) contain, so a paste sharing a rare
    identifier with a runbook ranks it up even when no signature names that identifier. `cited` is
    `cited_pages(runbook)` when the caller has it already.
    """
    declared = [
        exact_token(condition.signal, condition.equals)
        for signature in runbook.signatures
        for condition in signature.when
        if condition.signal is not None and condition.equals is not None
    ]
    seen = [example.text for example in runbook.examples] + list(runbook.symptoms)
    found = exact_tokens(extract(Paste.of("\n".join(seen))))
    found += [exact_token(SignalKind.LINK, page) for page in (cited_pages(runbook) if cited is None else cited)]
    body = [runbook.summary, " ".join(runbook.tags), runbook.cause or "", runbook.impact or ""]
    body += [example.text for example in runbook.examples]
    zh = [runbook.title_zh or "", runbook.summary_zh or "", *runbook.symptoms_zh]
    return Document(
        id=runbook.id,
        title=runbook.title,
        body="\n".join(body),
        zh=cut_chinese("\n".join(zh)),
        exact=list(dict.fromkeys(declared + found)),
        symptoms="\n".join(runbook.symptoms),
    )
