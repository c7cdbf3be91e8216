from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, RUNBOOKS, run_kb


def test_lint_strict_passes_on_the_shipped_runbooks() -> None:
    result = run_kb("lint", "--strict")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "0 error(s), 0 warning(s)" in result.stderr


def test_lint_reports_every_problem_of_a_broken_file_and_exits_2(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("invalid/many-problems.yaml")
    result = run_kb("lint", "--runbooks", str(root))
    assert result.returncode == 2
    shown = str(root / "area" / "many-problems.yaml")
    assert result.stdout.splitlines() == [
        f"{shown}:1: symptoms: required field is missing",
        f"{shown}:7: severity: Input should be 'critical', 'high', 'medium', 'low' or 'info', got 'urgent'",
        f"{shown}:11: symptom: unknown field; did you mean 'symptoms'?",
        f"{shown}:18: signatures[0].when[0].matches: does not compile under RE2: invalid perl operator: (?<= "
        "(RE2 has no lookaround or backreferences)",
        f"{shown}:28: fix[0].manifest: manifest document 1 lacks kind",
    ]
    assert "5 error(s), 0 warning(s)" in result.stderr


def test_lint_warnings_fail_only_in_strict_mode(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("valid/minimal-incident.yaml")
    assert run_kb("lint", "--runbooks", str(root)).returncode == 0
    strict = run_kb("lint", "--strict", "--runbooks", str(root))
    assert strict.returncode == 2
    assert strict.stdout.strip().endswith("line for editors (warning)")


def test_lint_json_parses(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("invalid/bad-enum.yaml", "valid/minimal-incident.yaml")
    result = run_kb("lint", "--json", "--runbooks", str(root))
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert (report["ok"], report["files"], report["runbooks"]) == (False, 2, 1)
    assert [(e["line"], e["field"], e["level"]) for e in report["errors"]] == [(7, "severity", "error")]


def test_kb_runbooks_environment_variable_selects_the_directory(runbook_dir: Callable[..., Path]) -> None:
    root = runbook_dir("valid/minimal-incident.yaml")
    result = run_kb("list", env={"KB_RUNBOOKS": str(root)})
    assert result.returncode == 0
    assert "minimal-incident" in result.stdout
    assert "subset-no-healthy-upstream" not in result.stdout


def test_list_shows_a_table_of_all_runbooks() -> None:
    result = run_kb("list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "SEVERITY", "TITLE"]
    ids = [line.split()[0] for line in lines[1:]]
    assert ids == sorted(p.stem for p in RUNBOOKS.rglob("*.yaml"))


@pytest.mark.parametrize(
    ("args", "check"),
    [
        (["--kind", "procedure"], lambda row: row["kind"] == "procedure"),
        (["--component", "istiod"], lambda row: "istiod" in row["components"]),
        (["--tag", "503"], lambda row: "503" in row["tags"]),
    ],
    ids=["kind", "component", "tag"],
)
def test_list_filters(args: list[str], check: Callable[[dict[str, object]], bool]) -> None:
    everything = json.loads(run_kb("list", "--json").stdout)
    result = run_kb("list", "--json", *args)
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert rows, "each filter should select something in the shipped runbooks"
    assert rows == [row for row in everything if check(row)]


def test_list_rejects_an_unknown_component() -> None:
    result = run_kb("list", "--component", "mixer")
    assert result.returncode == 2
    assert "argument --component: invalid choice: 'mixer' (choose from 'istiod', 'sidecar'," in result.stderr


def test_show_prints_a_readable_page() -> None:
    result = run_kb("show", "subset-no-healthy-upstream")
    assert result.returncode == 0, result.stderr
    page = result.stdout
    for heading in ("SUMMARY", "SYMPTOMS", "CAUSE", "DIAGNOSIS", "FIX", "VERIFY", "REFERENCES"):
        assert f"\n{heading}\n" in page
    assert page.startswith('503 "no healthy upstream" (UH) on a DestinationRule subset')
    assert "$ istioctl analyze -n $SERVICE_NAMESPACE" in page
    assert "kind: DestinationRule" in page
    assert "https://istio.io/latest/docs/reference/config/analysis/ist0173/" in page
    assert "  - 通过入口网关或其他 Sidecar 访问服务返回 503" in page


def test_show_json_is_the_whole_runbook() -> None:
    result = run_kb("show", "subset-no-healthy-upstream", "--json")
    data = json.loads(result.stdout)
    assert data["id"] == "subset-no-healthy-upstream"
    assert data["signatures"][0]["when"][0] == {
        "pattern": None,
        "signal": "response_flag",
        "equals": "UH",
        "matches": None,
    }


def test_show_unknown_id_suggests_close_ids() -> None:
    result = run_kb("show", "subset-no-healthy")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(
        "kb: error: unknown runbook id 'subset-no-healthy'; did you mean: subset-no-healthy-upstream"
    )


def test_schema_check_and_print() -> None:
    check = run_kb("schema", "--check")
    assert check.returncode == 0, check.stderr
    printed = run_kb("schema")
    assert printed.stdout == (RUNBOOKS / "runbook.schema.json").read_text(encoding="utf-8")


def test_schema_check_fails_when_stale(tmp_path: Path) -> None:
    (tmp_path / "runbook.schema.json").write_text("{}\n")
    result = run_kb("schema", "--check", "--runbooks", str(tmp_path))
    assert result.returncode == 2
    assert "is stale; run `kb schema --write`" in result.stderr


def test_signals_json_lists_every_kind() -> None:
    from kb.vocabulary import SignalKind

    data = json.loads(run_kb("signals", "--json").stdout)
    assert [k["kind"] for k in data["signal_kinds"]] == [str(k) for k in SignalKind]
    assert "POD" in data["placeholders"]


@pytest.mark.parametrize("args", [[], ["bogus"], ["show"], ["lint", "--nope"]], ids=str)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run_kb(*args)
    assert result.returncode == 2
    assert "usage: kb" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_runbook_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = run_kb("list", "--runbooks", str(tmp_path / "absent"))
    assert result.returncode == 2
    assert result.stderr == f"kb: error: runbooks directory not found: {tmp_path / 'absent'}\n"


def test_help_teaches_with_examples() -> None:
    result = run_kb("--help")
    assert result.returncode == 0
    assert "kb show subset-no-healthy-upstream" in result.stdout
    assert "KB_RUNBOOKS" in result.stdout


def test_console_script_and_version() -> None:
    script = Path(sys.executable).parent / "kb"
    result = subprocess.run(
        [str(script), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "KB_RUNBOOKS"},
    )
    assert result.returncode == 0
    assert result.stdout == "kb 0.1.0\n"


def test_list_into_a_closed_pipe_is_quiet() -> None:
    command = f"{sys.executable} -m kb list | head -n 1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert result.stdout.startswith("ID ")
    assert "Traceback" not in result.stderr


def test_lint_keeps_its_exit_code_when_the_reader_goes_away(tmp_path: Path) -> None:
    broken = (Path(__file__).parent / "data" / "invalid" / "bad-enum.yaml").read_text()
    for number in range(600):
        (tmp_path / f"bad-{number}.yaml").write_text(broken.replace("id: bad-enum", f"id: bad-{number}"))
    command = f"set -o pipefail; {sys.executable} -m kb lint --json --runbooks {tmp_path} | head -c 100 >/dev/null"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("shell", "code", "stderr"),
    [
        (
            "{kb} show subset-no-healthy-upstream >/dev/full",
            2,
            "kb: error: cannot write output: No space left on device\n",
        ),
        ("{kb} list >&-", 0, ""),
        (
            "{kb} schema --write --runbooks /nonexistent/dir",
            2,
            "kb: error: No such file or directory: /nonexistent/dir/runbook.schema.json\n",
        ),
        (
            "{kb} schema --check --runbooks /tmp",
            2,
            "kb: error: /tmp/runbook.schema.json does not exist; run `kb schema --write`\n",
        ),
    ],
    ids=["disk-full", "stdout-closed", "write-into-missing-dir", "check-missing-file"],
)
def test_output_and_file_errors_are_clear(shell: str, code: int, stderr: str) -> None:
    command = shell.format(kb=f"{sys.executable} -m kb")
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert (result.returncode, result.stderr) == (code, stderr)


def test_ascii_only_terminal_gets_escapes_not_a_crash() -> None:
    result = run_kb("show", "subset-no-healthy-upstream", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0
    assert "\\u" in result.stdout
