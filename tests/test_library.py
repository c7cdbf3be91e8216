from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.documents import Document
from kb.errors import UsageError
from kb.library import CATALOG_FILE, content_hash, load_export, open_index, open_library
from kb.loader import load_runbooks
from kb.matcher import match
from kb.search import document_terms, indexed_terms
from kb.signals import Paste, links

from .conftest import RUNBOOKS

UH_LINE = (
    '[2022-03-01T08:00:00.000Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" "1" "r" "-" '
    "outbound|80|v1|r.r.svc.cluster.local - 10.0.0.1:80 10.0.0.2:4000 - -"
)


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    """A small runbook directory that tests may edit."""
    root = tmp_path / "runbooks"
    root.mkdir()
    for name in ("subset-no-healthy-upstream", "istiod-unreachable"):
        source = next(RUNBOOKS.rglob(f"{name}.yaml"))
        shutil.copy(source, root / source.name)
    return root


def index_dirs(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def test_first_open_builds_then_the_cache_is_reused(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = open_library(runbooks, cache)
    assert first.built and first.index_dir is not None
    assert (first.index_dir / CATALOG_FILE).is_file()
    first.close()
    second = open_library(runbooks, cache)
    assert not second.built and second.index_dir == first.index_dir
    assert len(second.catalog) == 2
    second.close()
    # Only the finished index is left: no half-built directories.
    assert index_dirs(cache) == [first.index_dir.name]


def test_open_index_reads_a_built_index_without_the_runbooks(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    built = open_library(runbooks, cache)
    assert built.index_dir is not None
    built.close()
    shutil.rmtree(runbooks)  # a server's worker opens what its supervisor built, even after the files changed
    opened = open_index(built.index_dir)
    assert not opened.built and len(opened.catalog) == 2
    assert [r.runbook.id for r in match(UH_LINE, opened).results][:1] == ["subset-no-healthy-upstream"]
    opened.close()
    (built.index_dir / CATALOG_FILE).write_bytes(b"not a pickle")
    with pytest.raises(UsageError, match="no complete index"):
        open_index(built.index_dir)
    with pytest.raises(UsageError, match="no complete index"):
        open_index(cache / "index-missing")


def test_editing_a_runbook_makes_the_index_stale(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    before = content_hash(runbooks)
    open_library(runbooks, cache).close()
    target = runbooks / "subset-no-healthy-upstream.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("no pods", "no pods at all", 1), encoding="utf-8")
    assert content_hash(runbooks) != before
    rebuilt = open_library(runbooks, cache)
    assert rebuilt.built
    assert "no pods at all" in rebuilt.catalog.get("subset-no-healthy-upstream").title
    rebuilt.close()


def test_adding_or_removing_a_file_changes_the_hash(runbooks: Path) -> None:
    before = content_hash(runbooks)
    (runbooks / "istiod-unreachable.yaml").unlink()
    assert content_hash(runbooks) != before


def test_a_damaged_cache_is_rebuilt_not_trusted(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    library = open_library(runbooks, cache)
    assert library.index_dir is not None
    library.close()
    (library.index_dir / CATALOG_FILE).write_bytes(b"not a pickle")
    again = open_library(runbooks, cache)
    assert again.built and again.index_dir == library.index_dir
    assert [r.runbook.id for r in match(UH_LINE, again).results][:1] == ["subset-no-healthy-upstream"]
    again.close()


def test_a_build_that_loses_the_race_keeps_the_winner(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    winner = open_library(runbooks, cache)
    assert winner.index_dir is not None
    winner.close()
    # Simulate a second process that started before the first finished: it builds and cannot rename.
    os.utime(winner.index_dir)
    (winner.index_dir / "marker").write_text("winner", encoding="utf-8")
    from kb.library import _build_cached

    loser = _build_cached(runbooks.resolve(), cache, winner.index_dir)
    assert (winner.index_dir / "marker").read_text(encoding="utf-8") == "winner"
    assert index_dirs(cache) == [winner.index_dir.name]
    loser.close()


def test_an_unwritable_cache_falls_back_to_memory(runbooks: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x", encoding="utf-8")
    library = open_library(runbooks, blocker / "cache")
    assert library.index_dir is None and library.built
    assert match(UH_LINE, library).results[0].runbook.id == "subset-no-healthy-upstream"
    library.close()


def test_no_cache_means_memory_only(runbooks: Path) -> None:
    library = open_library(runbooks, None)
    assert library.index_dir is None
    library.close()


def test_broken_runbooks_are_reported_and_the_rest_still_match(runbooks: Path, tmp_path: Path) -> None:
    (runbooks / "broken.yaml").write_text("id: broken\nkind: [\n", encoding="utf-8")
    library = open_library(runbooks, tmp_path / "cache")
    assert any("broken.yaml" in p.path for p in library.problems)
    assert match(UH_LINE, library).results[0].runbook.id == "subset-no-healthy-upstream"
    library.close()


def test_old_indexes_are_pruned(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    target = runbooks / "istiod-unreachable.yaml"
    original = target.read_text(encoding="utf-8")
    for n in range(10):
        target.write_text(original + f"\n# edit {n}\n", encoding="utf-8")
        open_library(runbooks, cache).close()
    assert len(index_dirs(cache)) <= 8


# whoosh leaves the corrupt segment's file handle for the garbage collector; that warning is whoosh's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_corrupt_index_file_is_rebuilt_not_a_crash(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    library = open_library(runbooks, cache)
    assert library.index_dir is not None
    library.close()
    for segment in library.index_dir.glob("*.seg"):
        segment.write_bytes(b"")
    again = open_library(runbooks, cache)
    assert again.built and again.index_dir == library.index_dir
    assert match(UH_LINE, again).results[0].runbook.id == "subset-no-healthy-upstream"
    again.close()


def test_a_cache_others_can_write_is_not_trusted(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    library = open_library(runbooks, cache)
    assert library.index_dir is None and list(cache.iterdir()) == []
    library.close()


def test_a_missing_runbooks_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="runbooks directory not found"):
        open_library(tmp_path / "nope", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_stale_build_leftovers_are_cleaned(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    leftover = cache / ".build-dead"
    leftover.mkdir()
    os.utime(leftover, (0, 0))
    open_library(runbooks, cache).close()
    assert not leftover.exists()


def test_a_large_library_built_in_worker_processes_matches_like_a_small_one(
    runbooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From PARALLEL_FROM files runbooks load in worker processes and arrive pickled (the cache stores those
    pickles as they are); from PARALLEL_INDEX_FROM the index is written by two processes. Lowering both
    thresholds runs that path on the small library: the result must equal the single-process build's."""
    (runbooks / "broken.yaml").write_text("id: broken\nkind: [\n", encoding="utf-8")
    serial = open_library(runbooks, tmp_path / "serial-cache")
    cited = next(r.url for rb in serial.catalog for r in rb.references if links.extract(Paste.of(r.url)))
    pastes = [UH_LINE, f"is this it? {cited}"]
    expected = [match(paste, serial) for paste in pastes]
    monkeypatch.setattr("kb.loader.PARALLEL_FROM", 2)
    monkeypatch.setattr("kb.loader.os.cpu_count", lambda: 2)
    monkeypatch.setattr("kb.search.PARALLEL_INDEX_FROM", 2)
    assert load_runbooks(runbooks).pickled.keys() == set(serial.catalog.ids)  # the worker path ran
    cache = tmp_path / "parallel-cache"
    built = open_library(runbooks, cache)
    reopened = open_library(runbooks, cache)
    assert built.built and not reopened.built
    for library in (built, reopened):
        assert list(library.catalog) == list(serial.catalog)
        assert library.problems == serial.problems
        for paste, want in zip(pastes, expected, strict=True):
            got = match(paste, library)
            assert [(r.runbook.id, r.score, r.confidence) for r in got.results] == [
                (r.runbook.id, r.score, r.confidence) for r in want.results
            ]
        library.close()
    serial.close()
    assert any("cites-the-linked-page" in str(r.evidence) for r in expected[1].results)


def test_a_failed_build_turns_the_garbage_collector_back_on(runbooks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise RuntimeError("index writer died")

    monkeypatch.setattr("kb.library.write_index", fail)
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        open_library(runbooks, runbooks.parent / "cache")
    assert gc.isenabled()


def test_in_memory_builds_do_not_share_whooshs_fixed_temp_path(tmp_path: Path) -> None:
    # whoosh spills an in-memory index to `<tmp>/MAIN.tmp`; a file there (or another process's build) broke it.
    (tmp_path / "MAIN.tmp").write_text("someone else's")
    code = (
        "from kb.library import open_library; from pathlib import Path; import sys; "
        "print(len(open_library(Path(sys.argv[1]), None).catalog))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(RUNBOOKS)], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(tmp_path)}, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(list(RUNBOOKS.rglob("*.yaml")))
    assert (tmp_path / "MAIN.tmp").read_text() == "someone else's"


def test_the_export_has_the_term_statistics_of_the_index() -> None:
    """The site's export computes what the index holds without building one: the numbers must be the index's."""
    library = open_library(RUNBOOKS, None)
    export = load_export(RUNBOOKS)
    assert list(export.catalog.ids) == list(library.catalog.ids)
    assert export.statistics == library.index.term_statistics()
    assert export.statistics["fields"]["zh"]["postings"] and export.statistics["fields"]["exact"]["postings"]


# Text of letters, stop words, digits, `*`, dots, Chinese and whitespace: what the tokenizers split on.
_PIECES = st.sampled_from([*"aAbeiNgs*._-:/ 0123\n\t熔断器", "the ", "and ", "Envoy's ", "running "])
_WORDY = st.lists(_PIECES, max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(title=_WORDY, body=_WORDY, zh=_WORDY, symptoms=_WORDY, exact=st.lists(_WORDY, max_size=3))
def test_document_terms_are_what_whoosh_indexes(
    title: str, body: str, zh: str, symptoms: str, exact: list[str]
) -> None:
    # The site's term statistics take each distinct word through whoosh once; whoosh takes every occurrence.
    document = Document("x", title, body, zh, exact, symptoms)
    fast, slow = document_terms(document), indexed_terms(document)
    assert {field: (dict(terms), length) for field, (terms, length) in fast.items()} == {
        field: (dict(terms), length) for field, (terms, length) in slow.items()
    }
