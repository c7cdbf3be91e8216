from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from .conftest import RUNBOOKS, run_kb

UH = (
    '[2022-03-01T08:00:00.000Z] "GET /review HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl" "5e1a" '
    '"review.example.com" "-" outbound|80|v1|review.review.svc.cluster.local - 10.233.0.1:80 10.233.1.9:40000 - -\n'
)
TRACEBACK = 'Traceback (most recent call last):\n  File "app.py", line 3\nZeroDivisionError: division by zero\n'


def test_match_reads_stdin_and_explains_the_best_runbook() -> None:
    done = run_kb("match", stdin=UH.encode())
    assert done.returncode == 0, done.stderr
    assert "best match: subset-no-healthy-upstream  (high confidence" in done.stdout
    assert "uh-on-subset-cluster" in done.stdout and "(line 1)" in done.stdout
    # The first diagnosis and fix commands come with the entities of the paste filled in.
    assert "kubectl patch deployment $DEPLOYMENT -n review" in done.stdout
    assert "signals: " in done.stdout and "response_flag=UH@1" in done.stdout


def test_match_reads_a_file_and_prints_the_json_contract(tmp_path: Path) -> None:
    paste = tmp_path / "paste.txt"
    paste.write_text(UH, encoding="utf-8")
    done = run_kb("match", str(paste), "--json", "--limit", "2")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [set(r) >= {"id", "title", "score", "confidence", "evidence"} for r in data["results"]] == [True, True]
    assert data["results"][0]["id"] == "subset-no-healthy-upstream"
    assert {"kind": "response_flag", "value": "UH", "line": 1} in data["signals"]


def test_no_confident_match_exits_1_and_says_so() -> None:
    done = run_kb("match", stdin=TRACEBACK.encode())
    assert done.returncode == 1, done.stderr
    assert "no confident match" in done.stdout or "no runbook matches" in done.stdout
    data = json.loads(run_kb("match", "--json", stdin=TRACEBACK.encode()).stdout)
    assert data["confident"] is False
    assert all(r["confidence"] != "high" for r in data["results"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "input is empty"),
        (b"  \n\t\n", "input is empty"),
        (b"\x00\x01\x02binary\x00" * 100, "input looks binary"),
        (random.Random(7).randbytes(200_000), "input looks binary"),
    ],
)
def test_bad_input_is_a_clear_usage_error(data: bytes, message: str) -> None:
    done = run_kb("match", stdin=data)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_non_utf8_input_is_matched_not_refused() -> None:
    done = run_kb("match", "--json", stdin=b"\xff\xfe caf\xe9 " + UH.encode())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["id"] == "subset-no-healthy-upstream"


def test_a_big_log_is_matched(tmp_path: Path) -> None:
    noise = "".join(f"2024-01-01T00:00:{n % 60:02d}Z info app request {n} served in 3 ms\n" for n in range(40_000))
    paste = tmp_path / "big.log"
    paste.write_text(noise + UH + noise, encoding="utf-8")
    done = run_kb("match", str(paste), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"][0]
    assert result["id"] == "subset-no-healthy-upstream"
    assert 40_001 in result["evidence"][0]["lines"]


def test_missing_file_and_bad_limit_are_usage_errors(tmp_path: Path) -> None:
    missing = run_kb("match", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and "nope.txt" in missing.stderr
    bad = run_kb("match", "--limit", "0", stdin=UH.encode())
    assert bad.returncode == 2 and "positive whole number" in bad.stderr


def test_search_answers_english_and_chinese() -> None:
    english = run_kb("search", "sidecar", "startup", "order", "--json")
    assert english.returncode == 0, english.stderr
    assert json.loads(english.stdout)[0]["id"] == "sidecar-startup-race"
    chinese = run_kb("search", "子集 选不到 Pod 503")
    assert chinese.returncode == 0, chinese.stderr
    header, first = chinese.stdout.splitlines()[:2]
    assert header.split() == ["ID", "SCORE", "TITLE"]
    assert first.startswith("subset-no-healthy-upstream")


def test_search_with_no_hit_exits_1() -> None:
    done = run_kb("search", "zzzqqqxxx")
    assert done.returncode == 1 and "no runbook matches" in done.stdout


def test_eval_prints_metrics_baseline_and_failures(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: uh\n  expect: [subset-no-healthy-upstream]\n  text: " + json.dumps(UH) + "\n"
        "- id: wrong\n  expect: [websocket-upgrade]\n  text: " + json.dumps(UH) + "\n"
        "- id: neg\n  expect: []\n  text: " + json.dumps(TRACEBACK) + "\n",
        encoding="utf-8",
    )
    text = run_kb("eval", str(cases))
    assert text.returncode == 0, text.stderr
    assert "top1" in text.stdout and "BM25" in text.stdout and "wrong: expected websocket-upgrade" in text.stdout
    data = json.loads(run_kb("eval", str(cases), "--json").stdout)
    assert set(data) >= {"top1", "top3", "mrr", "negatives_pass", "baseline", "cases"}
    assert data["top1"] == 0.5 and data["negatives_pass"] == 1.0
    assert set(data["baseline"]) == {"top1", "top3", "mrr", "negatives_pass"}
    assert data["cases"][0]["id"] == "uh" and data["cases"][0]["got"][0] == "subset-no-healthy-upstream"
    assert set(data["cases"][0]) == {"id", "expect", "got", "confidence"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{a: 1}", "a YAML list of cases"),
        ("- id: x\n  text: hi\n", "`expect` must be a list"),
        ("- id: x\n  expect: []\n", "`text` must be a non-empty string"),
        ("[", "not a readable YAML file"),
        ("- {id: a, expect: [], text: x}\n- {id: a, expect: [], text: y}\n", "case a: the id is used twice"),
        ("- {id: a, expect: [no-such-runbook], text: x}\n", "case a: unknown runbook id(s) in expect: no-such-runbook"),
    ],
)
def test_eval_rejects_malformed_case_files(tmp_path: Path, content: str, message: str) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(content, encoding="utf-8")
    done = run_kb("eval", str(cases))
    assert done.returncode == 2 and message in done.stderr


def test_index_reports_where_it_lives(tmp_path: Path) -> None:
    own = tmp_path / "runbooks"
    own.mkdir()
    shutil.copy(next(RUNBOOKS.rglob("subset-no-healthy-upstream.yaml")), own)
    env = {"KB_CACHE_DIR": str(tmp_path / "cache"), "KB_RUNBOOKS": str(own)}
    first = json.loads(run_kb("index", "--json", env=env).stdout)
    assert first["built"] is True and first["index_dir"].startswith(str(tmp_path))
    assert first["runbooks"] == 1
    second = json.loads(run_kb("index", "--json", env=env).stdout)
    assert second["built"] is False and second["index_dir"] == first["index_dir"]
    memory = run_kb("index", env={**env, "KB_CACHE_DIR": "off"})
    assert "memory only" in memory.stdout
