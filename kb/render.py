"""Plain-text pages for the terminal: `kb show`, `kb list`, `kb match`. Pure functions from data to text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kb.markdown import blocks
from kb.model import FixStep, Runbook, Step
from kb.yamldoc import manifest_resources

if TYPE_CHECKING:
    from kb.matcher import MatchReport, Result

INDENT = "  "


def runbook_page(runbook: Runbook, width: int = 100) -> str:
    """A readable page: what it is, what you see, why, how to confirm, how to fix."""
    applies = f"Istio {runbook.applies_to.istio} ({', '.join(runbook.applies_to.data_plane)})"
    head = [
        *_wrap(runbook.title, width, "", ""),
        *(_wrap(runbook.title_zh, width, "", "") if runbook.title_zh else []),
        f"{runbook.id} | {runbook.kind} | severity {runbook.severity} | {applies}",
        f"components: {', '.join(runbook.components)}"
        + (f" | tags: {', '.join(runbook.tags)}" if runbook.tags else ""),
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
        ("REFERENCES", _references(runbook)),
        ("RELATED", [f"{INDENT}- {other}" for other in runbook.related]),
    ]
    body = [f"{name}\n" + "\n".join(lines) for name, lines in sections if lines]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"


def runbook_table(runbooks: Sequence[Runbook]) -> str:
    """One line per runbook: id, kind, severity, title."""
    if not runbooks:
        return "no runbooks match\n"
    id_width = max(len(r.id) for r in runbooks)
    rows = [f"{r.id:<{id_width}}  {r.kind:<9}  {r.severity:<8}  {r.title}" for r in runbooks]
    header = f"{'ID':<{id_width}}  {'KIND':<9}  {'SEVERITY':<8}  TITLE"
    return "\n".join([header, *rows]) + "\n"


def match_page(report: MatchReport, width: int = 100) -> str:
    """The best runbook with why it matched and its first commands, then the other candidates."""
    if not report.results:
        return "no runbook matches this text.\n" + _signals_line(report, width)
    best, others = report.results[0], report.results[1:]
    values = report.values
    head = "best match" if report.confident else "no confident match; the closest runbook"
    lines = [f"{head}: {best.runbook.id}  ({best.confidence} confidence, score {best.score:.1f})"]
    lines += _wrap(best.runbook.title, width)
    lines += ["", "why it matched:", *_why(best, width)]
    commands = best.commands(values)
    for name, listed in commands.items():
        if listed:
            lines += ["", f"{name} (first step):", *[f"{INDENT}$ {command}" for command in listed]]
    lines += ["", f"read it all: kb show {best.runbook.id}"]
    if others:
        lines += ["", "other candidates:"]
        lines += [f"{INDENT}{r.runbook.id:<40} {r.confidence:<6} {r.score:5.1f}  {r.runbook.title}" for r in others]
    return "\n".join(lines) + "\n" + _signals_line(report, width)


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


def reference_page(rows: Sequence[dict[str, Any]]) -> str:
    """`kb reference`: each flag, detail or port, what it means, and the runbooks that declare it."""
    lines: list[str] = []
    for section in dict.fromkeys(row["section"] for row in rows):
        key = {"flags": "flag", "details": "detail", "ports": "port"}[section]
        lines += ["", section.upper()] if lines else [section.upper()]
        for row in (r for r in rows if r["section"] == section):
            extra = f" ({row['name']}, {row['status'] or 'no status'})" if section == "flags" else ""
            extra = f" ({row['component']})" if section == "ports" else extra
            lines.append(f"{INDENT}{row[key]}{extra}: {row['meaning']}")
            if row["runbooks"]:
                lines.append(f"{INDENT * 3}runbooks: {', '.join(row['runbooks'])}")
    return "\n".join(lines) + "\n"


def search_table(results: Sequence[Result]) -> str:
    """`kb search`: one line per result, id, score and title."""
    id_width = max(len(r.runbook.id) for r in results)
    return "".join(f"{r.runbook.id:<{id_width}}  {r.score:5.1f}  {r.runbook.title}\n" for r in results)


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
    """Greedy wrap by display width: words stay whole, Chinese characters may break anywhere."""
    lines: list[str] = []
    line, used, empty, space = first, _width(first), True, False
    for unit in _UNITS.findall(text):
        if unit.isspace():
            space = not empty
            continue
        size = _width(unit)
        if not empty and used + space + size > width:
            lines.append(line)
            line, used, empty, space = rest, _width(rest), True, False
        line, used = line + " " * space + unit, used + space + size
        empty, space = False, False
    if not empty:
        lines.append(line)
    return lines


# Characters a terminal draws two columns wide (CJK, Hangul, full-width forms); a line may break between any two.
_WIDE = "\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
# A unit is a run of spaces, one wide character, or a run of other characters (a word).
_UNITS = re.compile(rf"\s+|[{_WIDE}]|[^\s{_WIDE}]+")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


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
        lines += _wrap(step.text, width, prefix, pad)
        lines += [f"{pad}$ {command}" for command in step.commands]
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


def _references(runbook: Runbook) -> list[str]:
    return [line for ref in runbook.references for line in (f"{INDENT}- {ref.title}", f"{INDENT}  {ref.url}")]
