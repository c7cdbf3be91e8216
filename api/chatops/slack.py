"""Slack slash command: verified with slack_sdk's SignatureVerifier, answered in Block Kit within its limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from ..errors import Unauthorized
from .answer import Answer, clip, labels, usage

# Block Kit limits (slack_sdk's validators): header text 150, section text 3000, 50 blocks, 10 context elements.
HEADER_MAX, SECTION_MAX, BLOCKS_MAX, FALLBACK_MAX = 150, 3000, 50, 3000


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verify(raw_body: bytes, headers: Mapping[str, str], secret: str, now: float) -> None:
    """Unauthorized unless Slack signed this body with `secret` less than five minutes from `now`."""
    verifier = SignatureVerifier(secret, clock=_FixedClock(now))
    try:
        valid = verifier.is_valid_request(raw_body, dict(headers))
    except ValueError:  # a timestamp that is not a number
        valid = False
    if not valid:
        raise Unauthorized("missing, wrong or expired Slack signature")


def command(raw_body: bytes) -> tuple[str, bool]:
    """The slash command's text and whether to answer in the channel (text starting with `public`)."""
    fields = parse_qs(raw_body.decode("utf-8", errors="replace"), keep_blank_values=True)
    text = (fields.get("text") or [""])[0].strip()
    first, _, rest = text.partition(" ")
    if first.lower() == "public":
        return rest.strip(), True
    return text, False


def reply(answer: Answer, public: bool) -> dict[str, Any]:
    """The slash command's response: ephemeral unless asked `public`, Block Kit cut to fit."""
    kind = "in_channel" if public else "ephemeral"
    words = labels(answer)
    if not answer.id:
        text = f"{words['none']} {usage(answer.language)}"
        return {"response_type": kind, "text": text, "blocks": [_section(text)]}
    title = answer.title if answer.found else f"{words['none']} ({answer.title}?)"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_MAX)}},
        _section(f"`{answer.id}` · {words['confidence']}: *{answer.confidence}*\n{answer.summary}"),
    ]
    if answer.why:
        blocks.append(_section(f"*{words['why']}*\n" + "\n".join(f"• {line}" for line in answer.why)))
    for key, commands in (("diagnosis", answer.diagnosis), ("fix", answer.fix)):
        if commands:
            # The body is cut before the fence closes, so a long command never leaves the block open.
            blocks.append(_section(f"*{words[key]}*\n```{clip(chr(10).join(commands), SECTION_MAX - 80)}```"))
    footer = [f"<{answer.url}|{words['open']}>"] if answer.url else []
    if answer.others:
        footer.append(f"{words['others']}: " + ", ".join(f"`{o.id}` ({o.confidence})" for o in answer.others))
    if footer:
        elements = [{"type": "mrkdwn", "text": clip(text, SECTION_MAX)} for text in footer]
        blocks.append({"type": "context", "elements": elements})
    fallback = clip(f"{title}: {answer.summary}", FALLBACK_MAX)
    return {"response_type": kind, "text": fallback, "blocks": blocks[:BLOCKS_MAX]}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_MAX)}}
