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


def test_every_runbook_field_is_documented() -> None:
    for field in field_names():
        assert f"`{field}`" in README, field


def test_every_signal_kind_and_component_is_documented() -> None:
    for value in [*SignalKind, *Component]:
        assert f"`{value}`" in README, value
