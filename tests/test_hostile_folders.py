"""Broken runbook folders: symlink loops, FIFOs, dangling links, /dev/zero, editor lock files, killed loaders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import pytest

import kb.loader
from kb.library import content_hash
from kb.loader import load_runbooks

from .conftest import REPO, run_kb
from .hostile import broken_entries, editor_lock, library_with

UH_LINE = '[2022-03-01T08:00:00.000Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" "1" "r"'


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A runbooks folder with one valid runbook and one of every entry that must not be read."""
    root = library_with(tmp_path / "runbooks", "minimal-incident")
    broken_entries(root / "area")
    return root


def _problem_lines(text: str, root: Path) -> dict[str, str]:
    """`name -> message` of the `path:line: file: message` lines about files in `root/area`."""
    found = {}
    for line in text.splitlines():
        path, _, rest = line.partition(":1: file: ")
        if rest and Path(path).parent.name == "area" and not rest.endswith("(warning)"):
            found[Path(path).name] = rest
    return found


def test_lint_reports_each_bad_entry_once_and_exits_2(broken: Path) -> None:
    done = run_kb("lint", "--runbooks", str(broken))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    problems = _problem_lines(done.stdout, broken)
    assert problems == {
        "loop.yaml": "symlink loop",
        "dangling.yaml": "dangling symlink (its target does not exist)",
        "zero.yaml": "not a regular file (a character device)",
        "fifo.yaml": "not a regular file (a FIFO)",
    }


@pytest.mark.parametrize("command", [["list"], ["show", "minimal-incident"], ["reference", "flags"]])
def test_reading_commands_name_the_bad_entries_and_exit_2(broken: Path, command: list[str]) -> None:
    done = run_kb(*command, "--runbooks", str(broken))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert set(_problem_lines(done.stderr, broken)) == {"loop.yaml", "dangling.yaml", "zero.yaml", "fifo.yaml"}
    assert "minimal-incident" in done.stdout or command[0] == "reference"


def test_kb_runbooks_pointing_at_a_tmp_like_folder_lists_problems_not_a_traceback(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    (tmp / "systemd-private-x").mkdir(parents=True)
    broken_entries(tmp)
    (tmp / "notes.yaml").write_text("just: some yaml\n", encoding="utf-8")
    done = run_kb("list", env={"KB_RUNBOOKS": str(tmp)})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith(str(tmp))]
    assert len(lines) == 4 and all(":1: file: " in line for line in lines), done.stderr


@pytest.mark.parametrize("command", ["match", "search"])
def test_match_and_search_use_the_good_runbooks_beside_bad_entries(broken: Path, command: str) -> None:
    args = ["match"] if command == "match" else ["search", "example incident"]
    started = time.monotonic()
    done = run_kb(*args, "--json", "--runbooks", str(broken), stdin=UH_LINE.encode())
    assert time.monotonic() - started < 30  # a FIFO read would block for good; /dev/zero would fill memory
    assert done.returncode == 0, done.stderr
    assert "minimal-incident" in done.stdout
    assert "4 problem(s) in the runbooks" in done.stderr


def test_an_editor_lock_file_is_skipped_not_a_problem(tmp_path: Path) -> None:
    root = library_with(tmp_path / "runbooks", "minimal-incident")
    editor_lock(root / "area", "minimal-incident.yaml")
    assert load_runbooks(root).errors == ()
    done = run_kb("match", "--runbooks", str(root), stdin=UH_LINE.encode())
    assert done.returncode == 0 and "problem" not in done.stderr, done.stderr


def test_the_hash_reads_only_regular_files_and_changes_with_them(broken: Path) -> None:
    before = content_hash(broken)  # returns at all: no FIFO blocked it, no /dev/zero filled memory
    assert content_hash(broken) == before
    (broken / "area" / "dangling.yaml").unlink()
    assert content_hash(broken) != before


def test_the_hash_covers_yml_files_and_folders_that_cannot_be_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = library_with(tmp_path / "runbooks", "minimal-incident")
    before = content_hash(root)
    (root / "area" / "other.yml").write_text("id: other\n", encoding="utf-8")
    with_yml = content_hash(root)
    assert with_yml != before
    (root / "area" / "other.yml").unlink()
    assert content_hash(root) == before
    # Tests run as root, who can list any folder: make one unlistable the way os.walk reports it.
    (root / "locked").mkdir()
    walk = os.walk

    def unlistable(top: str, onerror: object = None, **kwargs: object) -> object:
        for folder, dirs, names in walk(top, onerror=onerror, **kwargs):  # type: ignore[arg-type]
            if Path(folder).name == "locked" and callable(onerror):
                onerror(PermissionError(13, "Permission denied", folder))
                continue
            yield folder, dirs, names

    monkeypatch.setattr(kb.loader.os, "walk", unlistable)
    assert any("cannot list" in p.message for p in load_runbooks(root).errors)
    assert content_hash(root) != before


def test_a_big_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    root = library_with(tmp_path / "runbooks", "minimal-incident")
    with (root / "area" / "huge.yaml").open("wb") as handle:
        handle.truncate(300 << 20)  # 300 MiB, sparse
    result = load_runbooks(root)
    assert [p.message for p in result.errors] == [f"larger than {kb.loader.MAX_FILE_BYTES} bytes"]
    tracemalloc.start()
    try:
        content_hash(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_loader_workers_die_with_their_parent(tmp_path: Path) -> None:
    """Killing only kb while a large library loads must not leave its worker processes running."""
    root = library_with(tmp_path / "runbooks", *(f"rb-{n}" for n in range(4)))
    pids = tmp_path / "pids"
    pids.mkdir()
    script = textwrap.dedent(
        f"""
        import os, time
        import kb.loader
        kb.loader.PARALLEL_FROM = 2
        kb.loader.os.cpu_count = lambda: 2
        def slow(runbook):
            open(os.path.join({str(pids)!r}, str(os.getpid())), "w").close()
            time.sleep(120)
        kb.loader.load_runbooks(kb.loader.Path({str(root)!r}), derive=slow)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not list(pids.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(parent.pid)
        assert workers and {int(p.name) for p in pids.iterdir()} <= set(workers)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [pid for pid in workers if _running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert alive == []


def _children(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"
