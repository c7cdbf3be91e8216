"""The `kb` command: a thin edge over the library. Exit codes: 0 ok, 2 usage or content error."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kb import __version__
from kb.catalog import Catalog
from kb.errors import KBError, UsageError
from kb.loader import LoadResult, load_runbooks
from kb.render import runbook_page, runbook_table
from kb.schema import SCHEMA_FILE_NAME, schema_text
from kb.settings import Settings
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS, Component, RunbookKind

EXIT_OK, EXIT_USAGE = 0, 2

DESCRIPTION = """\
kb: runbooks for Istio / Envoy service-mesh incidents.

Each runbook explains one failure mode (what you see, why it happens, how to confirm it, the
commands and YAML that fix it) or one procedure. Runbooks live in YAML under runbooks/ and are
validated by `kb lint`.
"""

EPILOG = """\
examples:
  kb list --component gateway          runbooks about gateways
  kb show subset-no-healthy-upstream   read one runbook in the terminal
  kb show route-not-found --json       the same as JSON, for scripts
  kb lint --strict                     validate runbooks/ as CI does
  kb schema --write                    regenerate runbooks/runbook.schema.json

environment:
  KB_RUNBOOKS   directory of runbooks to use instead of the bundled ones (or --runbooks DIR)
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ)
    runbooks_dir = Path(args.runbooks) if getattr(args, "runbooks", None) else settings.runbooks_dir
    try:
        code: int = args.handler(args, runbooks_dir)
        return code
    except KBError as exc:
        print(f"kb: error: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # `kb list | head` closes the pipe early; that is not an error.
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"kb {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--runbooks", metavar="DIR", help="runbook directory (default: $KB_RUNBOOKS or the bundled runbooks)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    list_cmd = commands.add_parser("list", parents=[common], help="list runbooks, optionally filtered")
    list_cmd.add_argument(
        "--component",
        type=Component,
        choices=list(Component),
        metavar="NAME",
        help=f"only runbooks about this component ({', '.join(Component)})",
    )
    list_cmd.add_argument("--tag", help="only runbooks with this tag")
    list_cmd.add_argument("--kind", type=RunbookKind, choices=list(RunbookKind), help="incident or procedure")
    list_cmd.add_argument("--json", action="store_true", help="print a JSON array")
    list_cmd.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", parents=[common], help="print one runbook")
    show.add_argument("id", help="runbook id, e.g. subset-no-healthy-upstream")
    show.add_argument("--json", action="store_true", help="print the runbook as JSON")
    show.set_defaults(handler=cmd_show)

    lint = commands.add_parser(
        "lint",
        parents=[common],
        help="validate every runbook; exit 2 on any problem",
        description="Validate every runbook and report each problem as path:line: field: message.",
    )
    lint.add_argument(
        "--strict",
        action="store_true",
        help="also fail on content warnings (missing signature, example, reference or translation)",
    )
    lint.add_argument("--json", action="store_true", help="print the problems as a JSON object")
    lint.set_defaults(handler=cmd_lint)

    schema = commands.add_parser("schema", parents=[common], help="print the runbook JSON Schema (draft-07)")
    mode = schema.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write it to <runbooks>/{SCHEMA_FILE_NAME}")
    mode.add_argument("--check", action="store_true", help="exit 2 if the committed schema is stale")
    schema.set_defaults(handler=cmd_schema)

    signals = commands.add_parser("signals", help="list the signal kinds and placeholders runbooks may use")
    signals.add_argument("--json", action="store_true", help="print them as JSON")
    signals.set_defaults(handler=cmd_signals)
    return parser


def _load(runbooks_dir: Path) -> Catalog:
    """The catalog for reading commands: broken files are reported but do not hide the others."""
    result = load_runbooks(runbooks_dir)
    if result.errors:
        print(f"kb: warning: {len(result.errors)} problem(s) in the runbooks; run `kb lint`", file=sys.stderr)
    return result.catalog


def cmd_list(args: argparse.Namespace, runbooks_dir: Path) -> int:
    runbooks = _load(runbooks_dir).select(component=args.component, tag=args.tag, kind=args.kind)
    if args.json:
        rows = [runbook.model_dump(mode="json", include=_LIST_FIELDS) for runbook in runbooks]
        _print_json(rows)
    else:
        sys.stdout.write(runbook_table(runbooks))
    return EXIT_OK


_LIST_FIELDS = {"id", "kind", "title", "title_zh", "summary", "severity", "components", "tags"}


def cmd_show(args: argparse.Namespace, runbooks_dir: Path) -> int:
    runbook = _load(runbooks_dir).get(args.id)
    if args.json:
        _print_json(runbook.model_dump(mode="json"))
    else:
        width = min(shutil.get_terminal_size((100, 24)).columns, 110) - 2
        sys.stdout.write(runbook_page(runbook, width=max(width, 40)))
    return EXIT_OK


def cmd_lint(args: argparse.Namespace, runbooks_dir: Path) -> int:
    result = load_runbooks(runbooks_dir)
    failed = bool(result.errors) or (args.strict and bool(result.warnings))
    if args.json:
        _print_json(_lint_report(result, failed))
    else:
        for problem in result.problems:
            print(problem)
        sys.stdout.flush()
        print(_lint_summary(result, args.strict), file=sys.stderr)
    return EXIT_USAGE if failed else EXIT_OK


def _lint_report(result: LoadResult, failed: bool) -> dict[str, Any]:
    return {
        "ok": not failed,
        "files": result.files,
        "runbooks": len(result.catalog),
        "errors": [asdict(p) for p in result.errors],
        "warnings": [asdict(p) for p in result.warnings],
    }


def _lint_summary(result: LoadResult, strict: bool) -> str:
    counts = f"{len(result.errors)} error(s), {len(result.warnings)} warning(s)"
    loaded = f"{len(result.catalog)} of {result.files} runbook file(s) valid"
    hint = "" if strict or not result.warnings else " (--strict fails on warnings)"
    return f"kb lint: {counts}; {loaded}{hint}"


def cmd_schema(args: argparse.Namespace, runbooks_dir: Path) -> int:
    target = runbooks_dir / SCHEMA_FILE_NAME
    text = schema_text()
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)
    elif args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            raise UsageError(f"{target} is stale; run `kb schema --write`")
        print(f"{target} is up to date", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_signals(args: argparse.Namespace, runbooks_dir: Path) -> int:
    if args.json:
        kinds = [
            {"kind": str(kind), "description": text, "examples": list(examples)}
            for kind, (text, examples) in SIGNAL_KINDS.items()
        ]
        _print_json({"signal_kinds": kinds, "placeholders": PLACEHOLDERS})
        return EXIT_OK
    print("signal kinds (use as `signal:` in a signature condition):")
    for kind, (text, examples) in SIGNAL_KINDS.items():
        print(f"  {kind:<32} {text}\n  {'':<32} e.g. {', '.join(examples)}")
    print("\nplaceholders (use as $NAME in commands and manifests):")
    for name, text in PLACEHOLDERS.items():
        print(f"  ${name:<20} {text}")
    return EXIT_OK


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
