"""A runbook as one markdown document (the API's `text/markdown` answer). Pure: data in, text out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kb.model import FixStep, Runbook, Step


def runbook_markdown(runbook: Runbook) -> str:
    """The whole runbook as markdown: title, facts, then each section that has content."""
    facts = (
        f"`{runbook.id}` · {runbook.kind} · severity {runbook.severity} · Istio {runbook.applies_to.istio} "
        f"({', '.join(runbook.applies_to.data_plane)}) · components: {', '.join(runbook.components)}"
    )
    sections = [
        ("Summary", _paragraphs(runbook.summary, runbook.summary_zh)),
        ("Symptoms", _bullets(runbook.symptoms + runbook.symptoms_zh)),
        ("Cause", runbook.cause or ""),
        ("Impact", runbook.impact or ""),
        ("Diagnosis", _steps(runbook.diagnosis)),
        ("Fix", _steps(runbook.fix)),
        ("Verify", _steps(runbook.verify)),
        ("Prevention", _bullets(runbook.prevention)),
        ("References", _bullets(f"[{ref.title}]({ref.url})" for ref in runbook.references)),
        ("Related", _bullets(f"`{other}`" for other in runbook.related)),
    ]
    head = [f"# {runbook.title}", *([f"*{runbook.title_zh}*"] if runbook.title_zh else []), facts]
    body = [f"## {name}\n\n{text.strip()}" for name, text in sections if text.strip()]
    return "\n\n".join(head + body) + "\n"


def _paragraphs(*texts: str | None) -> str:
    return "\n\n".join(text for text in texts if text)


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _steps(steps: Sequence[Step]) -> str:
    parts = []
    for number, step in enumerate(steps, 1):
        lines = [f"{number}. {step.text}"]
        if step.commands:
            lines.append(_fence("sh", "\n".join(step.commands)))
        if step.expect:
            lines.append(f"   Look for: {step.expect}")
        if isinstance(step, FixStep) and step.manifest:
            lines.append(_fence("yaml", step.manifest))
        parts.append("\n\n".join(lines))
    return "\n\n".join(parts)


def _fence(language: str, text: str) -> str:
    # A fence longer than any backtick run inside keeps a manifest's own ``` from closing it.
    ticks = "`" * max(3, _longest_backticks(text) + 1)
    lines = [f"{ticks}{language}", *text.rstrip().split("\n"), ticks]
    return "\n".join(f"   {line}" if line else "" for line in lines)


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
