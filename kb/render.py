"""Plain-text pages for the terminal: `kb show` and `kb list`. Pure functions from runbooks to text."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from kb.model import FixStep, Runbook, Step
from kb.yamldoc import manifest_resources

INDENT = "  "


def runbook_page(runbook: Runbook, width: int = 100) -> str:
    """A readable page: what it is, what you see, why, how to confirm, how to fix."""
    applies = f"Istio {runbook.applies_to.istio} ({', '.join(runbook.applies_to.data_plane)})"
    head = [
        f"{runbook.title}",
        *([runbook.title_zh] if runbook.title_zh else []),
        f"{runbook.id} | {runbook.kind} | severity {runbook.severity} | {applies}",
        f"components: {', '.join(runbook.components)}"
        + (f" | tags: {', '.join(runbook.tags)}" if runbook.tags else ""),
    ]
    sections: list[tuple[str, list[str]]] = [
        ("SUMMARY", _wrap(runbook.summary, width) + (_wrap(runbook.summary_zh, width) if runbook.summary_zh else [])),
        ("SYMPTOMS", _bullets(runbook.symptoms, width)),
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


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, initial_indent=INDENT, subsequent_indent=INDENT)


def _bullets(items: Iterable[str], width: int) -> list[str]:
    lines: list[str] = []
    for item in items:
        lines += textwrap.wrap(item, width, initial_indent=f"{INDENT}- ", subsequent_indent=f"{INDENT}  ")
    return lines


def _markdown(text: str, width: int) -> list[str]:
    """Re-flow markdown paragraphs and list items to `width`; keep code fences and tables as written."""
    lines: list[str] = []
    for block in _markdown_blocks(text):
        if block[0].lstrip().startswith(("```", "|", "    ")):
            lines += [f"{INDENT}{line}".rstrip() for line in block]
        elif block[0].lstrip().startswith(("- ", "* ")):
            lines += _bullets(_list_items(block), width)
        else:
            lines += _wrap(" ".join(line.strip() for line in block), width)
        lines.append("")
    return lines[:-1]


def _markdown_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            if not in_fence and blocks[-1]:
                blocks.append([])
            in_fence = not in_fence
            blocks[-1].append(line)
            if not in_fence:
                blocks.append([])
        elif not line.strip() and not in_fence:
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [block for block in blocks if block]


def _list_items(block: list[str]) -> list[str]:
    items: list[str] = []
    for line in block:
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")) or not items:
            items.append(stripped[2:] if stripped.startswith(("- ", "* ")) else stripped)
        else:
            items[-1] += " " + stripped
    return items


def _steps(steps: Sequence[Step], width: int) -> list[str]:
    lines: list[str] = []
    for number, step in enumerate(steps, start=1):
        prefix = f"{INDENT}{number}. "
        lines += textwrap.wrap(step.text, width, initial_indent=prefix, subsequent_indent=" " * len(prefix))
        pad = " " * len(prefix)
        lines += [f"{pad}$ {command}" for command in step.commands]
        if step.expect:
            lines += textwrap.wrap(f"look for: {step.expect}", width, initial_indent=pad, subsequent_indent=pad + "  ")
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
