"""The `kb` command: a thin edge over the library. Exit codes: 0 ok, 1 no confident match, 2 usage or content error."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kb import __version__
from kb.catalog import Catalog
from kb.errors import KBError, UnknownRunbookError, UsageError
from kb.evaluate import evaluate, groups_page, in_half, parse_cases
from kb.inputs import LARGE_INPUT, MAX_INPUT, argv_text, paste_text, read_from_terminal, read_paste
from kb.library import Library, open_library
from kb.loader import LoadResult, load_runbooks
from kb.matcher import DEFAULT_LIMIT, match
from kb.reference import REFERENCE_SECTIONS, reference_lookup, reference_table
from kb.render import (
    eval_page,
    language,
    match_page,
    reference_page,
    runbook_page,
    runbook_table,
    search_table,
    signals_page,
)
from kb.schema import SCHEMA_FILE_NAME, schema_text
from kb.settings import LANGUAGES, Settings
from kb.term import Screen
from kb.versions import for_release, parse_release
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS, Component, RunbookKind
from kb.yamldoc import YamlProblem, parse_document

EXIT_OK, EXIT_NO_MATCH, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
kb: runbooks for Istio / Envoy service-mesh incidents.

Each runbook explains one failure mode (what you see, why it happens, how to confirm it, the
commands and YAML that fix it) or one procedure. Runbooks live in YAML under runbooks/ and are
validated by `kb lint`.
"""

EPILOG = """\
examples:
  kubectl logs $POD -c istio-proxy | kb match      which runbook explains these proxy logs
  kb match                             paste at the prompt, end with Ctrl-D
  kb match --text '503 UH no_healthy_upstream'   match a line given on the command line
  kb match error.txt --json            the same for a file, as JSON for scripts
  kb search "sidecar 启动顺序"             find runbooks by words, English or Chinese
  kb reference UH                      what one Envoy response flag means, and its runbooks
  kb eval cases.yaml                   measure the matcher on labelled pastes
  kb list --component gateway          runbooks about gateways
  kb show subset-no-healthy-upstream   read one runbook in the terminal
  kb show route-not-found --json       the same as JSON, for scripts
  kb lint --strict                     validate runbooks/ as CI does
  kb schema --write                    regenerate runbooks/runbook.schema.json
  kb completion bash > ~/.local/share/bash-completion/completions/kb

environment:
  KB_RUNBOOKS   directory of runbooks to use instead of the bundled ones (or --runbooks DIR)
  KB_CACHE_DIR  where the search index is cached (default ~/.cache/kb; `off` keeps it in memory)
  KB_LANG       auto (default), en or zh: the language of titles and summaries (or --lang)
  NO_COLOR      set to turn colour off (colour is only ever used on a terminal)
  COLUMNS       the width to fit output to (default: the terminal's)

exit codes: 0 ok, 1 no confident match (kb match) or no result (kb search), 2 usage or content error
"""


MATCH_EPILOG = """\
examples:
  kubectl logs $POD -c istio-proxy --tail=500 | kb match
  kubectl describe pod $POD | kb match --limit 3
  curl -sv http://reviews:9080/ 2>&1 | kb match --json | jq '.results[0]'
  kb match --text 'upstream connect error or disconnect/reset before headers. reset reason: connection failure'
  kb match                 (at a terminal: paste, then Ctrl-D or two empty lines)

confidence: high = the runbook's own signatures found mesh-specific evidence (weight >= 6);
medium = some declared evidence or a clear text match; low = no confident match: the closest runbooks
are listed as leads to read, without commands to run.
"""


@dataclass(frozen=True)
class Outcome:
    """What a command produced; `main` writes it, so a closed pipe cannot change the exit code."""

    code: int
    stdout: str = ""
    stderr: str = ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            # Runbooks hold Chinese and box-drawing text; a C-locale terminal should get escapes, not a crash.
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    settings = Settings.from_env(os.environ)
    runbooks_dir = Path(args.runbooks) if getattr(args, "runbooks", None) else settings.runbooks_dir
    args.screen = Screen.of(sys.stdout, os.environ, shutil.get_terminal_size((100, 24)).columns)
    args.lang = getattr(args, "lang", None) or settings.lang
    try:
        outcome: Outcome = args.handler(args, runbooks_dir)
    except KBError as exc:
        outcome = Outcome(EXIT_USAGE, stderr=f"kb: error: {exc.message}\n")
    except OSError as exc:
        outcome = Outcome(EXIT_USAGE, stderr=f"kb: error: {exc.strerror or exc}: {exc.filename}\n")
    except KeyboardInterrupt:
        return 130
    return _emit(outcome)


def _emit(outcome: Outcome) -> int:
    """Write the outcome; a reader that went away (`kb lint | head`) does not change the exit code."""
    try:
        if outcome.stdout and sys.stdout is not None:
            sys.stdout.write(outcome.stdout)
            sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as exc:
        outcome = Outcome(EXIT_USAGE, stderr=f"kb: error: cannot write output: {exc.strerror}\n")
    if outcome.stderr and sys.stderr is not None:
        try:
            sys.stderr.write(outcome.stderr)
            sys.stderr.flush()
        except OSError:
            # Nowhere to say it (`2>/dev/full`): the exit code still tells, and the interpreter's final flush
            # must not fail again and turn it into 1.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
            return outcome.code or EXIT_USAGE
    return outcome.code


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
        choices=[str(c) for c in Component],
        metavar="NAME",
        help=f"only runbooks about this component ({', '.join(Component)})",
    )
    list_cmd.add_argument("--tag", help="only runbooks with this tag")
    list_cmd.add_argument("--kind", choices=[str(k) for k in RunbookKind], help="incident or procedure")
    list_cmd.add_argument("--json", action="store_true", help="print a JSON array")
    _add_lang(list_cmd)
    list_cmd.set_defaults(handler=cmd_list)

    show = commands.add_parser(
        "show",
        parents=[common],
        help="print one runbook",
        description="Print one runbook. For a response flag, detail or port (UH, no_healthy_upstream, 15012) "
        "use `kb reference` instead.",
    )
    show.add_argument("id", help="runbook id, e.g. subset-no-healthy-upstream")
    show.add_argument("--json", action="store_true", help="print the runbook as JSON")
    show.add_argument("--istio", metavar="VERSION", help="only what holds for this Istio release, e.g. 1.22")
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

    match = commands.add_parser(
        "match",
        parents=[common],
        help="find the runbook that explains a paste (logs, curl -v, events)",
        description="Read a paste from FILE or stdin and rank the runbooks that explain it. Exit 1 when "
        "nothing matches with at least medium confidence.",
        epilog=MATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    match.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="file to read; - or nothing for stdin (or the prompt)"
    )
    match.add_argument("--text", metavar="TEXT", help="match TEXT itself instead of reading a file or stdin")
    match.add_argument("--json", action="store_true", help="print results, evidence and signals as JSON")
    match.add_argument(
        "--limit", type=_positive, default=DEFAULT_LIMIT, metavar="N", help=f"results to show (default {DEFAULT_LIMIT})"
    )
    _add_lang(match)
    match.add_argument("--istio", metavar="VERSION", help="only runbooks and evidence that hold for this Istio release")
    match.set_defaults(handler=cmd_match)

    search = commands.add_parser(
        "search",
        parents=[common],
        help="search runbooks by words (English or Chinese)",
        description="Find runbooks by words. With no words, the query is read from stdin (or asked for at a "
        "terminal). Exit 1 when nothing matches.",
        epilog="examples:\n  kb search sidecar startup order\n  kb search 子集 503\n"
        "  kb search --text 'Jwt is missing'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    search.add_argument("query", nargs="*", help="words, e.g. sidecar startup order, or 子集 503")
    search.add_argument("--text", metavar="TEXT", help="the query as one argument (same as the words)")
    search.add_argument("--json", action="store_true", help="print a JSON array")
    search.add_argument("--limit", type=_positive, default=10, metavar="N", help="results to show (default 10)")
    _add_lang(search)
    search.set_defaults(handler=cmd_search)

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="measure the matcher on labelled cases, next to a plain BM25 baseline",
        description="Run every case of CASES (a YAML list of {id, text, expect: [runbook ids]}; "
        "expect: [] for a non-mesh paste) and print top-1, top-3, MRR, the negative pass rate, latency "
        "and the failures, for kb and for plain BM25 over each runbook's full text.",
    )
    evaluate.add_argument("cases", metavar="CASES.yaml", help="evaluation file")
    evaluate.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    evaluate.add_argument(
        "--holdout-sources",
        action="store_true",
        help="match each case without the runbook examples and references taken from its source thread",
    )
    evaluate.add_argument(
        "--half",
        metavar="HALF",
        help="only the cases whose `half` label is HALF (a field corpus's `tuning` or `check` half)",
    )
    evaluate.set_defaults(handler=cmd_eval)

    reference = commands.add_parser(
        "reference",
        parents=[common],
        help="what Envoy response flags, details and Istio ports mean, with runbooks",
        description="What Envoy response flags, response-code details and Istio ports mean, and the runbooks "
        "that declare each. Give a section (flags, details, ports) or one flag, detail or port.",
        epilog="examples:\n  kb reference flags\n  kb reference UH\n  kb reference no_healthy_upstream\n"
        "  kb reference 15012",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reference.add_argument(
        "topic", nargs="?", metavar="SECTION|NAME", help=f"{', '.join(REFERENCE_SECTIONS)}, or one flag, detail or port"
    )
    reference.add_argument("--json", action="store_true", help="print a JSON array")
    reference.set_defaults(handler=cmd_reference)

    index = commands.add_parser("index", parents=[common], help="build the search index now and say where it is")
    index.add_argument("--json", action="store_true", help="print the index facts as JSON")
    index.set_defaults(handler=cmd_index)

    _add_server_commands(commands, common)

    signals = commands.add_parser("signals", help="list the signal kinds and placeholders runbooks may use")
    signals.add_argument("--json", action="store_true", help="print them as JSON")
    signals.set_defaults(handler=cmd_signals)

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script generated from kb's own options.",
        epilog="install:\n  bash: kb completion bash > ~/.local/share/bash-completion/completions/kb\n"
        '  zsh:  kb completion zsh > "${fpath[1]}/_kb"\n'
        "  fish: kb completion fish > ~/.config/fish/completions/kb.fish",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=["bash", "zsh", "fish"], help="the shell to complete for")
    completion.set_defaults(handler=cmd_completion)

    site = commands.add_parser("site", help="the documentation site").add_subparsers(metavar="ACTION", required=True)
    site_build = site.add_parser(
        "build",
        parents=[common],
        help="build the static documentation site",
        description=(
            "Build the runbooks into a static site: a page per runbook in English and Chinese, index pages\n"
            "per component, tag and severity, the Envoy flag/detail/port reference, Pagefind search in both\n"
            "languages, and a paste box that matches offline in the browser. The folder works from any\n"
            "web server, any sub-path and file://. A build replaces an earlier build's folder; it refuses a\n"
            "folder that holds anything else. Runbooks that fail to load stop the build, all reported at\n"
            "once; manifests against the CRD schemas and version facts are `kb lint`'s checks."
        ),
        epilog=(
            "examples:\n"
            "  kb site build --out public\n"
            "  kb site build --runbooks ./runbooks --out public --base-url https://runbooks.example.com/ \\\n"
            "      --repo-url https://github.com/acme/kb/blob/main/runbooks\n"
            "  python -m http.server -d public 8000      # then open http://localhost:8000/\n"
            "  kb serve                                  # serves the site at / and the API at /v1"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    site_build.add_argument("--out", metavar="DIR", default="site-build", help="output directory (default: site-build)")
    site_build.add_argument("--base-url", metavar="URL", help="public URL of the site (canonical links, sitemap)")
    site_build.add_argument("--repo-url", metavar="URL", help="URL that a runbook's path is appended to for 'edit'")
    site_build.add_argument(
        "--json", action="store_true", help="print what was built (folder, pages, bytes, seconds per stage) as JSON"
    )
    site_build.set_defaults(handler=cmd_site_build)
    return parser


def _add_lang(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="language of titles and summaries: auto follows the query or paste (default $KB_LANG or auto)",
    )


def _add_server_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="run the HTTP API, chat adapters and MCP server (FastAPI under uvicorn)",
        description="Serve the search API (/v1/...), the chat adapters (/v1/chatops/...) and MCP (/mcp). "
        "Settings come from KB_* variables (see the README); chat adapters stay off until their secret is set.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_positive, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default 1)")
    serve.add_argument(
        "--watch", action="store_true", help="on each runbook change, build the index (and site) once for all workers"
    )
    serve.add_argument(
        "--site",
        metavar="DIR",
        help="serve this built docs site at / (or $KB_SITE_DIR); by default kb builds the site of the runbooks "
        "it serves into its cache once per change and serves that",
    )
    serve.add_argument("--no-site", action="store_true", help="serve only the API (/ redirects to /docs)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(handler=cmd_serve)

    mcp = commands.add_parser("mcp", parents=[common], help="run the MCP server over stdio, for AI assistants")
    mcp.set_defaults(handler=cmd_mcp)


def cmd_serve(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    # FastAPI, uvicorn and mcp load only here: every other command stays as fast to start as before.
    server = importlib.import_module("kb_api.server")
    site = Path(args.site) if args.site else None
    builder = None
    if site is None and not args.no_site and not os.environ.get("KB_SITE_DIR"):
        site, builder = _served_site(runbooks_dir), _served_site  # kb's own site: rebuilt on changes (--watch)
    code: int = server.serve(args.host, args.port, args.workers, args.watch, site, runbooks_dir, args.access_log,
                             builder)  # fmt: skip
    return Outcome(code)


def _served_site(runbooks_dir: Path) -> Path:
    """The docs site of `runbooks_dir` for `kb serve`: built once per content change into the cache."""
    from kb_site.build import Options, build

    from kb.library import content_hash

    cache_dir = Settings.from_env(os.environ).cache_dir
    try:
        if cache_dir is None:
            raise PermissionError
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".site-", dir=cache_dir))
    except OSError:  # no cache, or not writable: a private folder for this run
        cache_dir = Path(tempfile.mkdtemp(prefix="kb-site-"))
        scratch = Path(tempfile.mkdtemp(prefix=".site-", dir=cache_dir))
    target = cache_dir / f"site-{content_hash(runbooks_dir.resolve())}"
    if (target / "index.html").is_file():
        shutil.rmtree(scratch, ignore_errors=True)
        return target
    # Built beside the target and renamed into place, so a crash never leaves a half site to be served.
    build(Options(runbooks_dir, scratch / "site"),
          progress=lambda line: print(f"kb site: {line}", file=sys.stderr, flush=True))  # fmt: skip
    with contextlib.suppress(OSError):  # another kb serve renamed its copy first: serve that one
        (scratch / "site").rename(target)
    shutil.rmtree(scratch, ignore_errors=True)
    return target


def cmd_mcp(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    code: int = importlib.import_module("kb_api.server").mcp_stdio(runbooks_dir)
    return Outcome(code)


def _load(runbooks_dir: Path) -> tuple[Catalog, str, int]:
    """The catalog for reading commands, what to say on stderr, and the exit code.

    Entries kb could not read at all (a symlink loop, a FIFO, a folder it cannot list) are each named and
    exit 2; runbooks that were read but are invalid only leave a warning, the rest still answers.
    """
    result = load_runbooks(runbooks_dir)
    unreadable = [problem for problem in result.errors if problem.field == "file"]
    notes = "".join(f"{problem}\n" for problem in unreadable)
    if result.errors:
        notes += f"kb: warning: {len(result.errors)} problem(s) in the runbooks; run `kb lint`\n"
    return result.catalog, notes, EXIT_USAGE if unreadable else EXIT_OK


def cmd_list(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    catalog, warning, code = _load(runbooks_dir)
    runbooks = catalog.select(
        component=Component(args.component) if args.component else None,
        tag=args.tag,
        kind=RunbookKind(args.kind) if args.kind else None,
    )
    if args.json:
        return Outcome(
            code, _json([runbook.model_dump(mode="json", include=_LIST_FIELDS) for runbook in runbooks]), warning
        )
    return Outcome(code, runbook_table(runbooks, args.screen, language(args.lang)), warning)


_LIST_FIELDS = {"id", "kind", "title", "title_zh", "summary", "severity", "components", "tags"}


def cmd_show(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    catalog, warning, code = _load(runbooks_dir)
    try:
        runbook = catalog.get(args.id)
    except UnknownRunbookError as exc:
        if reference_lookup(catalog, args.id):
            hint = f"{args.id!r} is not a runbook id but a flag, detail or port; try: kb reference {args.id}"
            raise UsageError(hint) from None
        raise exc
    notes = ""
    if args.istio:
        view = for_release(runbook, args.istio)
        notes = "".join(f"{note}\n" for note in view.notes()) or f"all of it holds for Istio {view.release}\n"
        runbook = view.runbook
    if args.json:
        return Outcome(code, _json(runbook.model_dump(mode="json")), warning + notes)
    return Outcome(code, (notes + "\n" if notes else "") + runbook_page(runbook, args.screen), warning)


def cmd_lint(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    result = load_runbooks(runbooks_dir)
    failed = bool(result.errors) or (args.strict and bool(result.warnings))
    code = EXIT_USAGE if failed else EXIT_OK
    if args.json:
        return Outcome(code, _json(_lint_report(result, failed)))
    listing = "".join(f"{problem}\n" for problem in result.problems)
    return Outcome(code, listing, _lint_summary(result, args.strict) + "\n")


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


def cmd_schema(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    target = runbooks_dir / SCHEMA_FILE_NAME
    text = schema_text()
    if args.write:
        target.write_text(text, encoding="utf-8")
        return Outcome(EXIT_OK, stderr=f"wrote {target}\n")
    if not args.check:
        return Outcome(EXIT_OK, text)
    if not target.is_file():
        raise UsageError(f"{target} does not exist; run `kb schema --write`")
    if target.read_text(encoding="utf-8") != text:
        raise UsageError(f"{target} is stale; run `kb schema --write`")
    return Outcome(EXIT_OK, stderr=f"{target} is up to date\n")


def cmd_signals(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    if args.json:
        kinds = [
            {"kind": str(kind), "description": text, "examples": list(examples)}
            for kind, (text, examples) in SIGNAL_KINDS.items()
        ]
        return Outcome(EXIT_OK, _json({"signal_kinds": kinds, "placeholders": PLACEHOLDERS}))
    return Outcome(EXIT_OK, signals_page(args.screen))


def cmd_completion(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    import shtab  # only this command needs it

    return Outcome(EXIT_OK, shtab.complete(build_parser(), shell=args.shell))


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value!r}")
    return number


def _library(runbooks_dir: Path) -> tuple[Library, str]:
    """The library to match against, and a warning when broken runbook files were left out."""
    started = time.perf_counter()
    library = open_library(runbooks_dir, Settings.from_env(os.environ).cache_dir, progress=_progress)
    errors = [p for p in library.problems if p.level == "error"]
    if not len(library.catalog):
        raise UsageError(f"no valid runbooks in {runbooks_dir}; run `kb lint`")
    notes = f"kb: warning: {len(errors)} problem(s) in the runbooks; run `kb lint`\n" if errors else ""
    if library.cache_note:
        notes += f"kb: warning: {library.cache_note}\n"
    if library.built and time.perf_counter() - started > 1:
        notes += f"kb: indexed {len(library.catalog)} runbooks in {time.perf_counter() - started:.1f} s\n"
    return library, notes


def cmd_match(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    if args.text is not None and args.file != "-":
        raise UsageError("give either FILE or --text, not both")
    text = paste_text(args.text.encode("utf-8", "surrogatepass")) if args.text is not None else read_paste(args.file)
    if len(text) > LARGE_INPUT:
        _progress(f"matching a {len(text) / 2**20:.0f} MB paste (a few seconds)")
    library, notes = _library(runbooks_dir)
    release = parse_release(args.istio) if args.istio else None
    report = match(text, library, limit=args.limit, istio=release)
    if release is not None and report.results:
        view = for_release(library.catalog.get(report.results[0].runbook.id), release)
        notes += "".join(f"kb: {note}\n" for note in view.notes())
    code = EXIT_OK if report.confident else EXIT_NO_MATCH
    if args.json:
        return Outcome(code, _json(report.to_json()), notes)
    return Outcome(code, match_page(report, args.screen, language(args.lang, text)), notes)


def cmd_search(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    query = " ".join(argv_text(word) for word in [*args.query, *([args.text] if args.text is not None else [])])
    if not query.strip():
        query = _query_from_stdin()
    library, notes = _library(runbooks_dir)
    results = match(query, library, limit=args.limit).results
    code = EXIT_OK if results else EXIT_NO_MATCH
    if args.json:
        rows = [{"id": r.runbook.id, "title": r.runbook.title, "title_zh": r.runbook.title_zh,
                 "score": round(r.score, 3), "confidence": r.confidence.value} for r in results]  # fmt: skip
        return Outcome(code, _json(rows), notes)
    if not results:
        return Outcome(code, f"no runbook matches {query!r}\n", notes)
    return Outcome(code, search_table(results, args.screen, language(args.lang, query)), notes)


def _query_from_stdin() -> str:
    if sys.stdin is None:
        raise UsageError("the query is empty; give words, e.g. kb search sidecar startup order")
    if sys.stdin.isatty():
        data = read_from_terminal(sys.stdin.buffer, sys.stderr)
    else:
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
    if not data.strip():
        raise UsageError("the query is empty; give words, e.g. kb search sidecar startup order")
    return paste_text(data)


def _progress(message: str) -> None:
    """A progress line on a terminal's stderr, written before the slow work starts; none when piped."""
    if sys.stderr is not None and sys.stderr.isatty():
        sys.stderr.write(f"kb: {message}...\n")
        sys.stderr.flush()


def cmd_eval(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    with open(args.cases, "rb") as handle:
        raw = handle.read(MAX_INPUT + 1)
    if len(raw) > MAX_INPUT:
        raise UsageError(f"{args.cases} is larger than {MAX_INPUT // 2**20} MiB")
    try:
        data = parse_document(raw.decode("utf-8")).data
    except (UnicodeDecodeError, YamlProblem) as exc:
        raise UsageError(f"{args.cases}: not a readable YAML file: {exc}") from None
    cases = parse_cases(data)
    if args.half is not None:
        cases = in_half(cases, args.half)
    library, notes = _library(runbooks_dir)
    report = evaluate(cases, library, holdout_sources=args.holdout_sources)
    if args.json:
        return Outcome(EXIT_OK, _json(report), notes)
    return Outcome(EXIT_OK, eval_page(report) + groups_page(report), notes)


def cmd_reference(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    catalog, warning, code = _load(runbooks_dir)
    if args.topic is None or args.topic in REFERENCE_SECTIONS:
        rows = reference_table(catalog, args.topic)
    else:
        rows = reference_lookup(catalog, args.topic)
        if not rows:
            raise UsageError(
                f"{args.topic!r} is neither a section ({', '.join(REFERENCE_SECTIONS)}) nor a known flag, detail "
                "or port; `kb reference` lists them all"
            )
    if args.json:
        return Outcome(code, _json(rows), warning)
    return Outcome(code, reference_page(rows, args.screen), warning)


def cmd_site_build(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    from kb_site.build import Options, build  # only this command needs jinja2, markdown-it and Pagefind

    options = Options(runbooks_dir, Path(args.out), args.base_url, args.repo_url)
    report = build(options, progress=lambda line: print(f"kb site: {line}", file=sys.stderr, flush=True))
    if args.json:
        facts = {"out": str(report.out), "pages": report.pages, "runbooks": report.runbooks, "bytes": report.bytes,
                 "seconds": {name: round(value, 3) for name, value in report.seconds.items()}}  # fmt: skip
        return Outcome(EXIT_OK, _json(facts))
    return Outcome(EXIT_OK, report.summary() + "\n")


def cmd_index(args: argparse.Namespace, runbooks_dir: Path) -> Outcome:
    started = time.perf_counter()
    library, notes = _library(runbooks_dir)
    facts = {
        "runbooks": len(library.catalog),
        "index_dir": str(library.index_dir) if library.index_dir else None,
        "built": library.built,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if args.json:
        return Outcome(EXIT_OK, _json(facts), notes)
    where = facts["index_dir"] or ("memory only (the cache folder was not used)" if library.cache_note else
                                   "memory only (KB_CACHE_DIR=off)")  # fmt: skip
    state = "built" if library.built else "up to date"
    return Outcome(EXIT_OK, f"index {state}: {facts['runbooks']} runbooks in {where} ({facts['seconds']} s)\n", notes)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
