"""Docs as tests: the README documents every command, field and signal kind, and CI runs its test command."""

from __future__ import annotations

import re

from kb.cli import build_parser
from kb.model import field_names
from kb.vocabulary import Component, SignalKind
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one() -> None:
    setup_and_run, tests = readme_commands()
    assert ".venv/bin/kb list" in setup_and_run and "| .venv/bin/kb match" in setup_and_run
    assert "pytest" in tests
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1] == tests


def test_every_cli_command_is_documented() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices)
    for name in commands.choices:
        assert f"`kb {name}" in README, name


def test_every_server_setting_is_documented() -> None:
    from kb_api import ApiSettings

    for name in ApiSettings.model_fields:
        assert f"`KB_{name.upper()}`" in README, name


def test_every_runbook_field_is_documented() -> None:
    for field in field_names():
        assert f"`{field}`" in README, field


def test_every_signal_kind_and_component_is_documented() -> None:
    for value in [*SignalKind, *Component]:
        assert f"`{value}`" in README, value


# Names in the README that stand for the reader's own files, not files of this repository.
READER_FILES = {"error.txt", "cases.yaml", "CASES.yaml", "FILE", "kb.fish", "x.yaml", "openapi.json"}  # + a URL path
_FILE_NAME = re.compile(r"(?<![\w$~<{*])[\w.-]+(?:/[\w.-]+)*\.(?:py|yaml|json|txt|md|toml|cfg)\b")


def test_every_file_the_readme_names_is_in_the_repository() -> None:
    tracked = {path.relative_to(REPO).as_posix() for path in REPO.rglob("*") if ".venv" not in path.parts}
    names = {path.rsplit("/", 1)[-1] for path in tracked}
    for name in set(_FILE_NAME.findall(README)) - READER_FILES:
        if "/" in name and not name.startswith(("http", "istio.io", "envoyproxy.io")):
            # The layout names files inside kb/ relative to it (`data/mesh-reference.yaml`).
            # The layout names files inside kb/ relative to it (`data/mesh-reference.yaml`); a runbook's schema
            # line names the schema relative to the runbook.
            found = name in tracked or f"kb/{name}" in tracked or f"runbooks/{name.removeprefix('../')}" in tracked
            assert found, f"README names {name}, which is not in the repo"
        elif "/" not in name:
            assert name in names, f"README names {name}, which is not in the repo"


def _shown_commands() -> list[str]:
    """Every `kb ...` command the README shows: inline code and lines of code blocks, without synopses."""
    inline = re.findall(r"`(kb [^`]+)`", README)
    blocks = [
        line.split("kb ", 1)[1]
        for block in re.findall(r"```(?:sh)?\n(.*?)```", README, re.S)
        for command in block.splitlines()
        for line in re.split(r"\| |&& ", command)
        if re.match(r"\s*(?:\.venv/bin/)?kb ", line)
    ]
    synopsis = re.compile(r"[\[\]]|\b[A-Z]{2,}\b(?!_)|\\\|")
    return [c for c in inline if not synopsis.search(c)] + [f"kb {c}" for c in blocks if not synopsis.search(c)]


def test_every_command_the_readme_shows_is_real() -> None:
    import shlex

    from kb.loader import load_runbooks
    from kb.reference import REFERENCE_SECTIONS, reference_lookup

    catalog = load_runbooks(REPO / "runbooks").catalog
    parser = build_parser()
    commands = _shown_commands()
    assert len(commands) >= 10, commands
    for command in commands:
        words = shlex.split(command.split(" > ")[0].split(" | ")[0])[1:]
        if len(words) == 1:  # a command named in prose, `kb eval`
            assert words[0] in next(a for a in parser._actions if a.dest == "==SUPPRESS==" and a.choices).choices
            continue
        try:
            args = parser.parse_args(words)
        except SystemExit:
            raise AssertionError(f"README shows `{command}`, which kb's parser refuses") from None
        if args.handler.__name__ == "cmd_show":
            assert args.id in catalog, command
        if args.handler.__name__ == "cmd_reference" and args.topic not in (None, *REFERENCE_SECTIONS):
            assert reference_lookup(catalog, args.topic), command
