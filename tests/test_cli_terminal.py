"""The CLI at a real terminal: pasting at a prompt, widths, colour, language, leads, progress and completion."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from kb.render import _shell_words
from kb.term import cell_width
from tests.conftest import CACHE, REPO, run_kb

UH_LINE = (
    '[2024-11-22T07:19:31.472Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/7.74.0" '
    '"19603cb9" "node-service" "-" outbound|80|v1|node-service.default.svc.cluster.local'
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal:
    """A kb process whose stdin and stderr (and optionally stdout) are a pseudo-terminal."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, stdout_tty: bool = False) -> None:
        self.master, slave = pty.openpty()
        full_env = {k: v for k, v in os.environ.items() if k not in ("KB_RUNBOOKS", "NO_COLOR")}
        full_env.update({"KB_CACHE_DIR": str(CACHE), "COLUMNS": "100", **(env or {})})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kb", *args],
            stdin=slave,
            stdout=slave if stdout_tty else subprocess.PIPE,
            stderr=slave,
            cwd=REPO,
            env=full_env,
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, wanted: bytes, timeout: float = 60) -> bytes:
        """Terminal output up to and including `wanted`; fails (never sleeps) when it does not come."""
        while wanted not in self.seen:
            ready, _, _ = select.select([self.master], [], [], timeout)
            assert ready, f"no {wanted!r} on the terminal; saw {self.seen!r}"
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            assert chunk, f"terminal closed before {wanted!r}; saw {self.seen!r}"
            self.seen += chunk
        return self.seen

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def finish(self) -> tuple[int, str, str]:
        """Exit code, stdout (when piped) and everything the terminal showed."""
        stdout = ""
        if self.process.stdout:
            with self.process.stdout:
                stdout = self.process.stdout.read().decode()
        code = self.process.wait(timeout=60)
        while True:
            ready, _, _ = select.select([self.master], [], [], 0)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        os.close(self.master)
        return code, stdout, self.seen.decode(errors="replace")


@pytest.mark.parametrize("end", [b"\x04", b"\n\n"], ids=["ctrl-d", "two-empty-lines"])
def test_match_at_a_terminal_asks_for_the_paste_and_answers(end: bytes) -> None:
    terminal = Terminal("match")
    terminal.read_until(b"press Ctrl-D")
    terminal.type(UH_LINE.encode() + b"\n" + end)
    code, stdout, _ = terminal.finish()
    assert code == 0, stdout
    assert stdout.startswith("best match: subset-no-healthy-upstream")


def test_search_at_a_terminal_asks_for_the_query() -> None:
    terminal = Terminal("search", "--json")
    terminal.read_until(b"press Ctrl-D")
    terminal.type(b"sidecar startup order\n\x04")
    code, stdout, _ = terminal.finish()
    assert code == 0
    assert json.loads(stdout)[0]["id"] == "sidecar-startup-race"


def test_text_option_and_a_name_that_is_not_a_file() -> None:
    given = run_kb("match", "--text", UH_LINE)
    assert given.returncode == 0 and given.stdout.startswith("best match: subset-no-healthy-upstream")
    mistaken = run_kb("match", "503 UH no_healthy_upstream")
    assert mistaken.returncode == 2
    assert "no such file" in mistaken.stderr and "kb match --text '503 UH no_healthy_upstream'" in mistaken.stderr
    assert "Traceback" not in mistaken.stderr
    both = run_kb("match", "x.txt", "--text", "y")
    assert both.returncode == 2 and "not both" in both.stderr
    search = run_kb("search", "--text", "Jwt is missing", "--json")
    assert json.loads(search.stdout)[0]["id"] == "jwt-authentication-failed"
    piped = run_kb("search", "--json", stdin="子集 选不到 Pod 503".encode())
    assert json.loads(piped.stdout)[0]["id"] == "subset-no-healthy-upstream"


WIDE_OUTPUTS = [
    ("list",),
    ("list", "--lang", "zh"),
    ("reference",),
    ("signals",),
    ("search", "sidecar", "启动顺序"),
    ("search", "mtls", "connection", "reset"),
    ("show", "subset-no-healthy-upstream"),
    ("show", "sidecar-startup-race"),
    ("match", "--text", UH_LINE),
    ("match", "--text", "503 service unavailable"),
    ("match", "--text", "访问服务返回 503 no healthy upstream"),
    ("completion", "bash"),
]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("args", WIDE_OUTPUTS, ids=[" ".join(a[:2]) for a in WIDE_OUTPUTS])
def test_output_fits_the_terminal_width(args: tuple[str, ...], columns: int) -> None:
    done = run_kb(*args, env={"COLUMNS": str(columns)})
    assert done.returncode in (0, 1), done.stderr
    if args[0] == "completion":
        return  # a script is for the shell, not for reading; it is run through here for the crash check
    # A command breaks only between shell words: one quoted word wider than the screen stays whole, since
    # cutting it would change the command.
    too_wide = [line for line in done.stdout.splitlines()
                if cell_width(line) > columns and len(_shell_words(line.strip().removeprefix("$ "))) > 1]  # fmt: skip
    assert not too_wide, too_wide
    assert not any(line.lstrip().startswith(("。", "，", "、")) for line in done.stdout.splitlines())


def test_text_similarity_shows_words_as_pasted_not_stems() -> None:
    paste = "Services behind the Envoy sidecar keep failing; connection refused from upstream services"
    done = run_kb("match", "--text", paste, env={"COLUMNS": "200"})
    (line,) = [line for line in done.stdout.splitlines() if "text similarity:" in line]
    words = [word for word in line.split(":", 1)[1].replace(",", " ").split() if "=" not in word]
    assert words, line
    assert set(words) <= set(re.findall(r"\w+", paste)), words
    assert not {"servic", "envoi", "connect", "refus"} & set(words)


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    piped = run_kb("match", "--text", UH_LINE)
    assert not ANSI.search(piped.stdout)
    terminal = Terminal("match", "--text", UH_LINE, stdout_tty=True)
    code, _, shown = terminal.finish()
    assert code == 0 and ANSI.search(shown)
    plain = Terminal("match", "--text", UH_LINE, stdout_tty=True, env={"NO_COLOR": "1"})
    code, _, shown = plain.finish()
    assert code == 0 and "best match" in shown and not ANSI.search(shown)


def test_answers_come_in_the_askers_language() -> None:
    zh = run_kb("search", "子集", "选不到", "Pod", "503")
    assert "子集" in zh.stdout.splitlines()[1]  # the zh title of subset-no-healthy-upstream
    en = run_kb("search", "子集", "选不到", "Pod", "503", "--lang", "en")
    assert "DestinationRule subset" in en.stdout.splitlines()[1]
    listed = run_kb("list", env={"KB_LANG": "zh", "COLUMNS": "200"})
    assert "子集" in listed.stdout
    pasted = run_kb("match", "--text", "网关返回 503，日志里有 UH no_healthy_upstream", env={"COLUMNS": "200"})
    first = next(line for line in pasted.stdout.splitlines() if "subset-no-healthy-upstream" in line)
    assert "子集" in first, pasted.stdout
    as_json = run_kb("search", "子集 503", "--json")
    assert "\\u" not in as_json.stdout and json.loads(as_json.stdout)[0]["title_zh"] in as_json.stdout


def test_low_confidence_gives_leads_without_commands_and_medium_gives_commands() -> None:
    low = run_kb("match", "--text", "503 service unavailable")
    assert low.returncode == 1
    assert low.stdout.startswith("no confident match.")
    assert "$ " not in low.stdout and "first step" not in low.stdout
    medium = run_kb("match", "--text", UH_LINE)
    assert medium.returncode == 0 and "fix (first step):" in medium.stdout and "  $ kubectl" in medium.stdout


def test_show_points_flags_to_reference_and_reference_takes_one_name() -> None:
    shown = run_kb("show", "UH")
    assert shown.returncode == 2 and "kb reference UH" in shown.stderr
    unknown = run_kb("show", "no-such-runbook")
    assert unknown.returncode == 2 and "unknown runbook id" in unknown.stderr
    for name, key in (("UH", "flag"), ("no_healthy_upstream", "detail"), ("15012", "port"), ("uh", "flag")):
        one = run_kb("reference", name, "--json")
        assert one.returncode == 0, one.stderr
        (row,) = json.loads(one.stdout)
        assert row[key].lower() == name.lower()
    family = run_kb("reference", "upstream_reset_before_response_started{connection_failure}", "--json")
    assert family.returncode == 0 and len(json.loads(family.stdout)) == 1
    bogus = run_kb("reference", "XYZZY")
    assert bogus.returncode == 2 and "neither a section" in bogus.stderr


def test_progress_lines_on_a_terminal_only(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    big.write_text((UH_LINE + "\n") * (4 * 1024 * 1024 // len(UH_LINE) + 10))
    fresh = {"KB_CACHE_DIR": str(tmp_path / "cache")}
    terminal = Terminal("match", str(big), "--json", env=fresh)
    shown = terminal.read_until(b"building the search index").decode()
    assert shown.index("matching a") < shown.index("building the search index")
    code, stdout, _ = terminal.finish()
    assert code == 0 and json.loads(stdout)["results"][0]["id"] == "subset-no-healthy-upstream"
    piped = run_kb("match", str(big), "--json", env={"KB_CACHE_DIR": str(tmp_path / "cache2")})
    assert piped.returncode == 0
    assert "matching a" not in piped.stderr and "building the search index" not in piped.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(shell: str) -> None:
    done = run_kb("completion", shell)
    assert done.returncode == 0
    for word in ("match", "search", "reference", "completion", "--runbooks", "--lang"):
        assert word in done.stdout, (shell, word)
    if shell == "bash":
        subprocess.run(["bash", "-n"], input=done.stdout, text=True, check=True)
