"""The one answer every chat adapter renders: best runbook, in the asker's language, with why and what to run.

Pure: a MatchReport in, an Answer out, and text helpers that cut to a platform's limit instead of failing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import kb

MORE = "…"
USAGE = (
    "Paste an error (istio-proxy/istiod logs, an access-log line, curl -v output, kubectl events) after the command."
)
USAGE_ZH = "请在命令后粘贴错误信息（istio-proxy/istiod 日志、访问日志、curl -v 输出或 kubectl 事件）。"


@dataclass(frozen=True)
class Other:
    id: str
    title: str
    confidence: str


@dataclass(frozen=True)
class Answer:
    language: kb.Language  # the asker's (`kb.language_of`)
    found: bool  # False: no runbook at least medium; the fields below then describe the best guess, if any
    id: str = ""
    title: str = ""
    summary: str = ""
    confidence: str = ""
    why: tuple[str, ...] = ()
    diagnosis: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()
    url: str | None = None
    others: tuple[Other, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def answer_of(report: kb.MatchReport, text: str, site_url: str | None = None) -> Answer:
    """The chat answer for a paste: the best result, its evidence in words, its first commands filled in."""
    language = kb.language_of(text)
    if not report.results:
        return Answer(language, found=False)
    best, values = report.results[0], report.values
    runbook = best.runbook
    zh = language == "zh"
    commands = best.commands(values)
    return Answer(
        language=language,
        found=report.confident,
        id=runbook.id,
        title=(runbook.title_zh if zh and runbook.title_zh else runbook.title),
        summary=(runbook.summary_zh if zh and runbook.summary_zh else runbook.summary),
        confidence=best.confidence.value,
        why=tuple(_why(best)),
        diagnosis=tuple(commands["diagnosis"]),
        fix=tuple(commands["fix"]),
        url=runbook_url(site_url, runbook.id, language),
        others=tuple(Other(r.runbook.id, r.runbook.title, r.confidence.value) for r in report.results[1:4]),
    )


def runbook_url(site_url: str | None, runbook_id: str, language: str = "en") -> str | None:
    """The runbook's page on the docs site (`KB_SITE_URL`): `runbooks/<id>.html`, `?lang=zh` in Chinese."""
    if not site_url:
        return None
    return f"{site_url.rstrip('/')}/runbooks/{runbook_id}.html{'?lang=zh' if language == 'zh' else ''}"


def _why(result: kb.Result) -> list[str]:
    lines = [f"+{e.weight:g} {e.signature}: {', '.join(e.matched)}" + (f" (line {e.lines[0]})" if e.lines else "")
             for e in result.evidence]  # fmt: skip
    if result.terms:
        lines.append(f"text: {', '.join(result.terms[:8])}")
    return lines


def usage(language: str) -> str:
    return USAGE_ZH if language == "zh" else USAGE


# Labels in both languages, so a Chinese question gets a Chinese frame around the runbook's own words.
LABELS = {
    "en": {"confidence": "confidence", "why": "Why it matched", "diagnosis": "First check", "fix": "Fix",
           "none": "No runbook matches this with confidence.", "others": "Also", "open": "Open the runbook"},
    "zh": {"confidence": "置信度", "why": "匹配依据", "diagnosis": "首先检查", "fix": "修复",
           "none": "没有足够确定的匹配。", "others": "其他候选", "open": "打开 Runbook"},
}  # fmt: skip


def labels(answer: Answer) -> dict[str, str]:
    return LABELS[answer.language]


def markdown(answer: Answer, code: bool = True) -> str:
    """The answer as markdown (DingTalk, WeCom, Teams, the webhook); `code` False for renderers without fences."""
    words = labels(answer)
    if not answer.id:
        return f"**{words['none']}**\n\n{usage(answer.language)}"
    head = f"**{answer.title}**" if answer.found else f"{words['none']} ({answer.title}?)"
    parts = [head, f"`{answer.id}` · {words['confidence']}: {answer.confidence}", answer.summary]
    if answer.why:
        parts.append(f"**{words['why']}**\n" + "\n".join(f"- {line}" for line in answer.why))
    for key, commands in (("diagnosis", answer.diagnosis), ("fix", answer.fix)):
        if commands:
            body = "\n".join(commands)
            parts.append(
                f"**{words[key]}**\n" + (f"```\n{body}\n```" if code else "\n".join(f"`{c}`" for c in commands))
            )
    if answer.url:
        parts.append(f"[{words['open']}]({answer.url})")
    if answer.others:
        parts.append(f"{words['others']}: " + ", ".join(f"`{o.id}` ({o.confidence})" for o in answer.others))
    return "\n\n".join(parts)


def plain(answer: Answer) -> str:
    """The answer as plain text, for a platform that shows markup literally (WeCom's passive text reply)."""
    return markdown(answer, code=False).replace("**", "").replace("`", "")


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - len(MORE), 0)] + MORE


def clip_bytes(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, cut on a character boundary with an ellipsis (WeCom counts bytes)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(limit - len(MORE.encode("utf-8")), 0)
    return data[:room].decode("utf-8", errors="ignore") + MORE
