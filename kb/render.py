"""Terminal pages for `kb show`, `list`, `match`, `search`, `reference`, `signals`: pure functions from data to
text, sized and coloured for a `Screen`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kb.language import Language, language_of
from kb.markdown import blocks
from kb.model import FixStep, Runbook, Step
from kb.term import Screen, cell_width
from kb.versions import label
from kb.vocabulary import PLACEHOLDERS, SIGNAL_KINDS
from kb.yamldoc import manifest_resources

if TYPE_CHECKING:
    from kb.matcher import MatchReport, Result

INDENT = "  "
# Pages for a caller that does not say where they go: 100 columns, no colour.
PLAIN = Screen()


def language(requested: str, text: str = "") -> Language:
    """`en` or `zh`: as requested, or for `auto` the language the asker wrote in (`kb.language_of`)."""
    if requested in ("en", "zh"):
        return "zh" if requested == "zh" else "en"
    return language_of(text)


def title_of(runbook: Runbook, lang: Language) -> str:
    return runbook.title_zh if lang == "zh" and runbook.title_zh else runbook.title


def summary_of(runbook: Runbook, lang: Language) -> str:
    return runbook.summary_zh if lang == "zh" and runbook.summary_zh else runbook.summary


def runbook_page(runbook: Runbook, screen: Screen = PLAIN) -> str:
    """A readable page: what it is, what you see, why, how to confirm, how to fix."""
    width = screen.prose
    applies = f"Istio {runbook.applies_to.istio} ({', '.join(runbook.applies_to.data_plane)})"
    head = [
        *_wrap(runbook.title, width, "", ""),
        *(_wrap(runbook.title_zh, width, "", "") if runbook.title_zh else []),
        *_wrap(f"{runbook.id} | {runbook.kind} | severity {runbook.severity} | {applies}", width, "", INDENT),
        *_wrap(
            f"components: {', '.join(runbook.components)}"
            + (f" | tags: {', '.join(runbook.tags)}" if runbook.tags else ""),
            width,
            "",
            INDENT,
        ),
    ]
    sections: list[tuple[str, list[str]]] = [
        ("SUMMARY", _wrap(runbook.summary, width) + (_wrap(runbook.summary_zh, width) if runbook.summary_zh else [])),
        ("SYMPTOMS", _bullets(runbook.symptoms + runbook.symptoms_zh, width)),
        ("CAUSE", _markdown(runbook.cause, width) if runbook.cause else []),
        ("IMPACT", _wrap(runbook.impact, width) if runbook.impact else []),
        ("DIAGNOSIS", _steps(runbook.diagnosis, width)),
        ("FIX", _steps(runbook.fix, width)),
        ("VERIFY", _steps(runbook.verify, width)),
        ("PREVENTION", _bullets(runbook.prevention, width)),
        ("BY VERSION", _bullets([f"{label(n.istio)} {n.text}" for n in runbook.version_notes], width)),
        ("REFERENCES", _references(runbook, width)),
        ("RELATED", [f"{INDENT}- {other}" for other in runbook.related]),
    ]
    head[0] = screen.paint(head[0], "bold")
    body = [f"{screen.paint(name, 'bold')}\n" + "\n".join(lines) for name, lines in sections if lines]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"


def runbook_table(runbooks: Sequence[Runbook], screen: Screen = PLAIN, lang: Language = "en") -> str:
    """One line per runbook: id, kind, severity, title (cut to fit the screen)."""
    if not runbooks:
        return "no runbooks match\n"
    rows = [(r.id, str(r.kind), str(r.severity), title_of(r, lang)) for r in runbooks]
    return screen.table(("ID", "KIND", "SEVERITY", "TITLE"), rows)


def match_page(report: MatchReport, screen: Screen = PLAIN, lang: Language = "en") -> str:
    """The best runbook with why it matched and its first commands, then the other candidates.

    A low-confidence best result is no answer: it is shown as a lead to read, without commands to run.
    """
    width = screen.prose
    if not report.results:
        return "no runbook matches this text.\n" + _signals_line(report, width)
    if not report.confident:
        return _leads_page(report, screen, lang)
    best, others = report.results[0], report.results[1:]
    lines = [screen.paint(f"best match: {best.runbook.id}", "bold")
             + f"  ({_confidence(best, screen)} confidence, score {best.score:.1f})"]  # fmt: skip
    lines += _wrap(title_of(best.runbook, lang), width)
    lines += _wrap(summary_of(best.runbook, lang), width, INDENT, INDENT)
    lines += ["", screen.paint("why it matched:", "bold"), *_why(best, width)]
    for name, listed in best.commands(report.values).items():
        if listed:
            lines += ["", screen.paint(f"{name} (first step):", "bold")]
            lines += [screen.paint(line, "green") for command in listed for line in _command(command, width)]
    lines += ["", f"read it all: kb show {best.runbook.id}"]
    if others:
        lines += ["", screen.paint("other candidates:", "bold"), *_candidates(others, screen, lang)]
    return "\n".join(lines) + "\n" + _signals_line(report, width)


def _leads_page(report: MatchReport, screen: Screen, lang: Language) -> str:
    width = screen.prose
    first = report.results[0]
    lines = [screen.paint("no confident match.", "bold yellow"),
             *_wrap("These runbooks came closest; read them as leads, not as an answer:", width, "", "")]  # fmt: skip
    lines += _candidates(report.results, screen, lang)
    lines += ["", f"why {first.runbook.id} came up:", *_why(first, width)]
    lines += ["", f"read one: kb show {first.runbook.id}"]
    return "\n".join(lines) + "\n" + _signals_line(report, width)


def _candidates(results: Sequence[Result], screen: Screen, lang: Language) -> list[str]:
    rows = [(r.runbook.id, str(r.confidence), f"{r.score:.1f}", title_of(r.runbook, lang)) for r in results]
    table = Screen(screen.width - len(INDENT), screen.colour).table(("ID", "CONFIDENCE", "SCORE", "TITLE"), rows)
    return [INDENT + line for line in table.rstrip("\n").split("\n")]


_CONFIDENCE_STYLES = {"high": "bold green", "medium": "yellow", "low": "red"}


def _confidence(result: Result, screen: Screen) -> str:
    return screen.paint(str(result.confidence), _CONFIDENCE_STYLES.get(str(result.confidence), ""))


def eval_page(report: dict[str, Any]) -> str:
    """The metrics side by side with the baseline, then each failure."""

    def cell(value: float | None) -> str:
        return "   n/a" if value is None else f"{value:6.3f}"

    counts = report["counts"]
    lines = [f"{counts['cases']} cases: {counts['positives']} positive, {counts['negatives']} negative", "",
             f"{'metric':<16}{'kb':>8}{'BM25':>8}"]  # fmt: skip
    for key in ("top1", "top3", "mrr", "negatives_pass"):
        lines.append(f"{key:<16}{cell(report[key]):>8}{cell(report['baseline'][key]):>8}")
    ours, theirs = report["latency_ms"], report["baseline_latency_ms"]
    lines.append(f"{'latency p50 ms':<16}{ours['p50']:>8.1f}{theirs['p50']:>8.1f}")
    lines.append(f"{'latency p95 ms':<16}{ours['p95']:>8.1f}{theirs['p95']:>8.1f}")
    failed = set(report["failures"])
    lines += ["", f"failures: {len(report['failures'])}"]
    for case in (case for case in report["cases"] if case["id"] in failed):
        case_id = case["id"]
        got = ", ".join(f"{i} ({c})" for i, c in zip(case["got"][:3], case["confidence"][:3], strict=False))
        lines.append(
            f"  {case_id}: expected {', '.join(case['expect']) or 'no high-confidence answer'}; got {got or 'nothing'}"
        )
    return "\n".join(lines) + "\n"


def reference_page(rows: Sequence[dict[str, Any]], screen: Screen = PLAIN) -> str:
    """`kb reference`: each flag, detail or port, what it means, and the runbooks that declare it."""
    width = screen.prose
    lines: list[str] = []
    for section in dict.fromkeys(row["section"] for row in rows):
        key = {"flags": "flag", "details": "detail", "ports": "port"}[section]
        lines += ["", screen.paint(section.upper(), "bold")] if lines else [screen.paint(section.upper(), "bold")]
        for row in (r for r in rows if r["section"] == section):
            extra = f" ({row['name']}, {row['status'] or 'no status'})" if section == "flags" else ""
            extra = f" ({row['component']})" if section == "ports" else extra
            lines += _wrap(f"{row[key]}{extra}: {row['meaning']}", width, INDENT, INDENT * 3)
            if row["runbooks"]:
                lines += _wrap(f"runbooks: {', '.join(row['runbooks'])}", width, INDENT * 3, INDENT * 4)
    return "\n".join(lines) + "\n"


def search_table(results: Sequence[Result], screen: Screen = PLAIN, lang: Language = "en") -> str:
    """`kb search`: one line per result, id, score and title (cut to fit the screen)."""
    rows = [(r.runbook.id, f"{r.score:.1f}", title_of(r.runbook, lang)) for r in results]
    return screen.table(("ID", "SCORE", "TITLE"), rows)


def signals_page(screen: Screen = PLAIN) -> str:
    """`kb signals`: the signal kinds with examples, and the placeholders, wrapped to the screen."""
    width = screen.prose
    pad = INDENT * 3
    lines = [screen.paint("signal kinds (use as `signal:` in a signature condition):", "bold")]
    for kind, (text, examples) in SIGNAL_KINDS.items():
        lines += [f"{INDENT}{screen.paint(str(kind), 'bold')}", *_wrap(text, width, pad, pad)]
        lines += _wrap(f"e.g. {', '.join(examples)}", width, pad, pad + INDENT)
    lines += ["", screen.paint("placeholders (use as $NAME in commands and manifests):", "bold")]
    name_width = max(len(name) for name in PLACEHOLDERS) + 2
    for name, text in PLACEHOLDERS.items():
        lines += _wrap(text, width, f"{INDENT}${name:<{name_width}}", INDENT + " " * (name_width + 1))
    return "\n".join(lines) + "\n"


def _why(result: Result, width: int) -> list[str]:
    lines = []
    for item in result.evidence:
        where = f" (line {', '.join(map(str, item.lines[:5]))})" if item.lines else ""
        lines += _wrap(
            f"+{item.weight:g} {item.signature}: {'; '.join(item.matched)}{where}", width, INDENT, INDENT * 3
        )
        if item.note:
            lines += _wrap(item.note, width, INDENT * 3, INDENT * 3)
    if result.terms:
        lines += _wrap(f"+ text similarity: {', '.join(result.terms)}", width, INDENT, INDENT * 3)
    return lines or [f"{INDENT}(no evidence)"]


def _signals_line(report: MatchReport, width: int) -> str:
    if not report.signals:
        return "\nsignals: none found (kb knows Envoy, Istio, curl, gRPC and kubectl output)\n"
    shown = [f"{s.kind}={s.value}@{s.line}" for s in report.signals[:20]]
    more = f" (+{len(report.signals) - 20} more)" if len(report.signals) > 20 else ""
    return "\n" + "\n".join(_wrap("signals: " + ", ".join(shown) + more, width, "", INDENT)) + "\n"


def _wrap(text: str, width: int, first: str = INDENT, rest: str = INDENT) -> list[str]:
    """Greedy wrap by display width: words stay whole unless longer than a line, Chinese may break between
    characters but never before closing punctuation (no line starts with `。`) or after an opening bracket."""
    lines: list[str] = []
    line, used, empty, space = first, cell_width(first), True, False
    for unit in _units(text, width - cell_width(rest)):
        if unit.isspace():
            space = not empty
            continue
        size = cell_width(unit)
        if not empty and used + space + size > width:
            lines.append(line)
            line, used, empty, space = rest, cell_width(rest), True, False
        line, used = line + " " * space + unit, used + space + size
        empty, space = False, False
    if not empty:
        lines.append(line)
    return lines


# Characters a terminal draws two columns wide (CJK, Hangul, full-width forms); a line may break between any two.
_WIDE = "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
# Punctuation that may not begin a line, and brackets that may not end one (the kinsoku rules).
_CLOSING = "。．，、；：！？）」』】》〉〕…‥・ー%,.;:!?)\\]}"
_OPENING = "（「『【《〈〔"
# A unit is a run of spaces, or one wide character or word with the punctuation that clings to it.
_UNITS = re.compile(rf"\s+|[{_OPENING}]*(?:[{_WIDE}]|[^\s{_WIDE}]+)[{re.escape(_CLOSING)}]*")


def _units(text: str, room: int) -> Iterable[str]:
    """The units of `text`; a word wider than `room` (a long URL) is cut into pieces that fit."""
    for unit in _UNITS.findall(text):
        if room < 1 or cell_width(unit) <= room:
            yield unit
            continue
        piece = ""
        for char in unit:
            if cell_width(piece + char) > room:
                yield piece
                piece = ""
            piece += char
        if piece:
            yield piece


def _width(text: str) -> int:
    return cell_width(text)


def _command(command: str, width: int, indent: str = INDENT) -> list[str]:
    """`$ command`, broken with ` \\` only at spaces outside quotes, so every piece still pastes into a shell."""
    lines, line, fresh = [], f"{indent}$", True
    for word in _shell_words(command):
        # Room is kept for the ` \\` that ends a broken line.
        if not fresh and cell_width(line) + 1 + cell_width(word) > width - 2:
            lines.append(line + " \\")
            line = f"{indent}   "
        line, fresh = f"{line} {word}", False
    lines.append(line)
    return lines


def _shell_words(command: str) -> list[str]:
    """`command` split at the spaces a shell would split at; quotes, escapes and `$(...)` stay in one word."""
    words, word, quote, depth = [], "", "", 0
    index = 0
    while index < len(command):
        char = command[index]
        if quote:
            word += char
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index + 1 < len(command):
                index += 1
                word += command[index]
        elif char in "'\"":
            quote, word = char, word + char
        elif char == "\\" and index + 1 < len(command):
            word += command[index : index + 2]
            index += 1
        elif char == "(":
            depth, word = depth + 1, word + char
        elif char == ")":
            depth, word = max(depth - 1, 0), word + char
        elif char == " " and not depth:
            if word:
                words.append(word)
            word = ""
        else:
            word += char
        index += 1
    if word:
        words.append(word)
    return words


def _bullets(items: Iterable[str], width: int) -> list[str]:
    return [line for item in items for line in _wrap(item, width, f"{INDENT}- ", f"{INDENT}  ")]


def _markdown(text: str, width: int) -> list[str]:
    """Markdown as terminal text: paragraphs and list items re-flowed to `width`, code kept as written."""
    lines: list[str] = []
    for block in blocks(text):
        if not block.marker and lines and lines[-1]:
            lines.append("")  # a paragraph or code block after a list
        if block.code:
            lines += [f"{INDENT}    {line}".rstrip() for line in block.text.splitlines()]
        else:
            lines += _wrap(block.text, width, INDENT + block.marker, INDENT + " " * len(block.marker))
        if not block.marker:
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _steps(steps: Sequence[Step], width: int) -> list[str]:
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        prefix = f"{INDENT}{number}. "
        pad = " " * len(prefix)
        lines += _wrap(step.text + (f" {label(step.istio)}" if step.istio else ""), width, prefix, pad)
        lines += [line for command in step.commands for line in _command(command, width, pad)]
        if step.expect:
            lines += _wrap(f"look for: {step.expect}", width, pad, pad + "  ")
        if isinstance(step, FixStep) and step.manifest:
            lines.append(f"{pad}--- {_how_to_apply(step.manifest)} ---")
            lines += [f"{pad}{line}".rstrip() for line in step.manifest.splitlines()]
            lines.append(f"{pad}---")
    return lines


def _how_to_apply(manifest: str) -> str:
    # IstioOperator is an install-time overlay read by istioctl, not a resource to create in the cluster.
    kinds = {str(resource.get("kind")) for resource in manifest_resources(manifest)}
    if kinds == {"IstioOperator"}:
        return "save as FILE, then: istioctl install -f FILE"
    return "apply this YAML (kubectl apply -f -)"


def _references(runbook: Runbook, width: int) -> list[str]:
    return [
        line
        for ref in runbook.references
        for line in (*_wrap(ref.title, width, f"{INDENT}- ", f"{INDENT}  "), *_wrap(ref.url, width, INDENT * 2))
    ]
