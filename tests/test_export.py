"""kb's additions for the API: runbook_markdown, search_runbooks, the severity filter, paste_text."""

from __future__ import annotations

import pytest

import kb
from kb.export import _fence
from tests.conftest import CACHE, RUNBOOKS


@pytest.fixture(scope="module")
def catalog() -> kb.Catalog:
    return kb.load_runbooks(RUNBOOKS).catalog


def test_markdown_page_has_every_section_with_content(catalog: kb.Catalog) -> None:
    runbook = catalog.get("subset-no-healthy-upstream")
    page = kb.runbook_markdown(runbook)
    assert page.startswith(f"# {runbook.title}\n\n*{runbook.title_zh}*")
    for heading in ("Summary", "Symptoms", "Cause", "Impact", "Diagnosis", "Fix", "References"):
        assert f"\n## {heading}\n" in page, heading
    assert runbook.diagnosis[0].commands[0] in page and f"({runbook.references[0].url})" in page


def test_a_fence_outlasts_the_backticks_inside() -> None:
    fenced = _fence("yaml", "a: ```\nb: ````")
    assert fenced.splitlines()[0].strip() == "`````yaml" and fenced.splitlines()[-1].strip() == "`````"


def test_severity_filter(catalog: kb.Catalog) -> None:
    critical = catalog.select(severity=kb.Severity.CRITICAL)
    assert critical and all(r.severity is kb.Severity.CRITICAL for r in critical)
    assert len(critical) < len(catalog.select())


def test_search_runbooks_ranks_typed_words() -> None:
    library = kb.open_library(RUNBOOKS, CACHE)
    assert kb.search_runbooks("sidecar startup order", library, limit=3)[0].runbook.id == "sidecar-startup-race"
    assert len(kb.search_runbooks("503", library, limit=2)) <= 2


def test_paste_text_refuses_binary_and_empty() -> None:
    assert kb.paste_text(b"503 UH\n") == "503 UH\n"
    for data in (b"", b"  \n", b"\x00" * 100):
        with pytest.raises(kb.UsageError):
            kb.paste_text(data)
