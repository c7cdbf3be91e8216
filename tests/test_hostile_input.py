"""Hostile text: alias bombs in fix manifests, deep JSON in a paste, text that is not valid Unicode."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kb
from kb.errors import UsageError
from kb.inputs import argv_text, paste_text
from kb.library import Library, open_library
from kb.loader import load_runbooks
from kb.matcher import match
from kb.yamldoc import parse_manifest

from .conftest import CACHE, REPO, RUNBOOKS, run_kb
from .hostile import LONE_SURROGATES, PASTES, alias_bomb, deep_json, deep_manifest, library_with, runbook_text

UH_LINE = '[2022-03-01T08:00:00.000Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" "1" "r"'


@pytest.fixture(scope="module")
def library() -> Iterator[Library]:
    opened = open_library(RUNBOOKS, CACHE)
    yield opened
    opened.close()


# --- 1. alias bombs and deep nesting inside fix manifests -------------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (alias_bomb(9, 9), "anchors and aliases are not supported in manifests"),
        (deep_manifest(), "nested deeper than 64 levels"),
    ],
    ids=["alias-bomb", "deep"],
)
def test_a_hostile_manifest_is_one_problem(manifest: str, message: str) -> None:
    documents, problems = parse_manifest(manifest)
    parsed = len(documents)  # never shown by pytest: a bomb's repr would never end
    assert parsed == 0
    assert [text for _, text in problems] == [f"manifest {message}"]


def test_an_ordinary_manifest_still_parses() -> None:
    documents, problems = parse_manifest("apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\n")
    assert problems == [] and [doc.resource["kind"] for doc in documents] == ["ConfigMap", "Secret"]


def _kb_limited(*args: str, seconds: int = 60) -> subprocess.CompletedProcess[str]:
    """`kb ARGS` with its address space capped at 2 GiB: a bomb that expands dies instead of eating the machine."""
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
    code = limit + "import sys; from kb.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {"PATH": "/usr/bin:/bin", "KB_CACHE_DIR": "off", "HOME": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=seconds, env=env, cwd=REPO
    )
    return done


def test_kb_lint_reports_an_alias_bomb_manifest_in_bounded_memory(tmp_path: Path) -> None:
    root = library_with(tmp_path / "runbooks", "fine")
    (root / "area" / "bomb.yaml").write_text(runbook_text("bomb", alias_bomb(9, 9)), encoding="utf-8")
    done = _kb_limited("lint", "--runbooks", str(root))
    assert done.returncode == 2, done.stderr
    bomb_lines = [line for line in done.stdout.splitlines() if "bomb.yaml" in line and "(warning)" not in line]
    assert len(bomb_lines) == 1 and "fix[0].manifest: manifest anchors and aliases" in bomb_lines[0]
    assert "Traceback" not in done.stderr
    # The other runbooks still load and answer.
    listed = _kb_limited("list", "--runbooks", str(root))
    assert "fine" in listed.stdout and "Traceback" not in listed.stderr


# --- 2. deep JSON in a paste ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name in PASTES if name.startswith("deep-json")])
def test_deep_json_never_raises(name: str, library: Library) -> None:
    text = PASTES[name]
    assert all(signal.line >= 1 for signal in kb.extract_signals(text))
    match(text, library)


def test_a_flat_record_beside_a_deep_one_still_gives_its_signals() -> None:
    flat = json.dumps({"response_code": 503, "response_flags": "UH"})
    signals = {(s.kind.value, s.value) for s in kb.extract_signals(deep_json(3000) + "\n" + flat)}
    assert {("http_status", "503"), ("response_flag", "UH")} <= signals


def test_kb_match_answers_a_deep_json_paste() -> None:
    done = run_kb("match", stdin=deep_json().encode())
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr


# --- 4. text that is not valid Unicode ------------------------------------------------------------------


@pytest.mark.parametrize("text", LONE_SURROGATES)
def test_lone_surrogates_are_replaced_never_fatal(text: str, library: Library) -> None:
    report = match(text, library)
    json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8")  # every string in it is valid Unicode
    assert not any("\ud800" <= char <= "\udfff" for s in report.signals for char in s.value)
    assert all(isinstance(s.value, str) for s in kb.extract_signals(text))


def test_a_replaced_surrogate_leaves_the_rest_of_the_line_readable() -> None:
    signals = {(s.kind.value, s.value) for s in kb.extract_signals("503 UH \udfff no_healthy_upstream")}
    assert ("response_code_details", "no_healthy_upstream") in signals


def test_undecodable_argv_is_replaced() -> None:
    assert argv_text("caf\udce9 503") == "caf\ufffd 503"
    assert argv_text("子集 503") == "子集 503"


@pytest.mark.parametrize("command", ["search", "match"])
def test_kb_with_undecodable_bytes_in_argv_answers(command: str, tmp_path: Path) -> None:
    if command == "search":
        args = [b"search", b"caf\xe9 503"]
    else:
        paste = os.fsencode(tmp_path) + b"/caf\xe9.txt"  # a file name that is not UTF-8
        with open(paste, "wb") as handle:
            handle.write(UH_LINE.encode())
        args = [b"match", paste]
    env = {"PATH": "/usr/bin:/bin", "KB_CACHE_DIR": str(CACHE), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"kb", *args], capture_output=True, timeout=60, env=env, cwd=REPO
    )
    assert done.returncode in (0, 1), done.stderr
    assert b"Traceback" not in done.stderr


def test_kb_match_json_of_a_surrogate_paste_is_valid_utf8() -> None:
    # A JSON body, as the API receives it, may carry an escaped lone surrogate; here it arrives as a file's bytes.
    done = run_kb("match", "--json", stdin="503 UH caf\udce9".encode("utf-8", "surrogateescape"))
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)


# --- 7. UTF-16 pastes (PowerShell `>`) ------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_a_paste_with_a_byte_order_mark_is_decoded(encoding: str) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    assert paste_text(bom + UH_LINE.encode(encoding)) == UH_LINE


def test_kb_match_reads_a_utf16_file(tmp_path: Path) -> None:
    paste = tmp_path / "powershell.txt"
    paste.write_bytes(f"{UH_LINE}\r\n".encode("utf-16"))
    done = run_kb("match", str(paste), "--json")
    assert done.returncode in (0, 1), done.stderr
    assert {"kind": "response_flag", "value": "UH", "line": 1} in json.loads(done.stdout)["signals"]


# --- the hypothesis suite's share: surrogates, deep JSON and alias bombs, fed anywhere ----------------------

SURROGATE_TEXT = st.text(alphabet=st.characters(categories=["Cs", "L", "N", "P", "Zs", "Cc"]), max_size=400)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SURROGATE_TEXT, st.sampled_from(["", UH_LINE, "HTTP/1.1 503\nserver: envoy\n"]))
def test_any_text_with_surrogates_matches(text: str, around: str) -> None:
    library = _hypothesis_library()
    report = match(around + text + around, library)
    json.dumps(report.to_json(), ensure_ascii=False).encode("utf-8")
    with contextlib.suppress(UsageError):  # empty or binary-looking input is refused on purpose
        paste_text((around + text).encode("utf-8", "surrogatepass"))  # bytes that are not UTF-8 never crash


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=1, max_value=4000),
    st.sampled_from(["[", '{"a":', '[{"b":']),
    st.sampled_from(['"response_code"', '"response_flags"']),
)
def test_any_deep_json_is_answered(depth: int, opener: str, key: str) -> None:
    closer = "".join({"[": "]", "{": "}"}[c] for c in opener if c in "[{")[::-1]
    text = "{" + key + ": " + opener * depth + "1" + closer * depth + "}"
    kb.extract_signals(text)
    match(text, _hypothesis_library())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=1, max_value=30), st.integers(min_value=1, max_value=12))
def test_any_alias_bomb_is_one_problem(levels: int, width: int) -> None:
    documents, problems = parse_manifest(alias_bomb(levels, width))
    parsed = len(documents)  # never shown by pytest: a bomb's repr would never end
    assert parsed == 0 and len(problems) == 1 and "aliases" in problems[0][1]


def test_a_runbook_with_a_bomb_loads_as_one_problem(tmp_path: Path) -> None:
    root = library_with(tmp_path / "runbooks", "fine")
    (root / "area" / "bomb.yaml").write_text(runbook_text("bomb", alias_bomb(12, 12)), encoding="utf-8")
    result = load_runbooks(root)
    assert list(result.catalog.ids) == ["fine"]
    assert [(p.path.endswith("bomb.yaml"), p.field) for p in result.errors] == [(True, "fix[0].manifest")]


_OPENED: list[Library] = []


def _hypothesis_library() -> Library:
    """One library for every hypothesis example (function-scoped fixtures do not mix with @given)."""
    if not _OPENED:
        _OPENED.append(open_library(RUNBOOKS, CACHE))
    return _OPENED[0]


# --- 7. an error that cannot be written still exits 2 -----------------------------------------------------


def test_a_usage_error_exits_2_even_when_stderr_is_full() -> None:
    env = {**os.environ, "KB_CACHE_DIR": "off"}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "kb", "match", "/nope"], stderr=full, stdout=subprocess.PIPE, env=env, timeout=60
        )
    assert done.returncode == 2
