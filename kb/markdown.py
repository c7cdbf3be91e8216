"""markdown-it-py behind one module: a runbook's markdown as plain blocks for the terminal."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark")


@dataclass(frozen=True)
class Block:
    """A paragraph (`marker` empty), a list item (`marker` "- " or "3. ") or code (`code` true)."""

    text: str
    marker: str = ""
    code: bool = False


def blocks(text: str) -> list[Block]:
    """Paragraphs, list items and code blocks of `text`, in order; inline code keeps its backticks."""
    result: list[Block] = []
    markers: list[str] = []
    for token in _PARSER.parse(text):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            markers.append("- " if token.type == "bullet_list_open" else str(token.attrGet("start") or 1))
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            markers.pop()
        elif token.type == "inline":
            result.append(Block(_plain(token), _next_marker(markers)))
        elif token.type in ("fence", "code_block"):
            result.append(Block(token.content.rstrip("\n"), code=True))
    return result


def _next_marker(markers: list[str]) -> str:
    if not markers:
        return ""
    current = markers[-1]
    if current == "- ":
        return current
    markers[-1] = str(int(current) + 1)
    return f"{current}. "


def _plain(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type == "code_inline":
            parts.append(f"`{child.content}`")
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type in ("text", "html_inline"):
            parts.append(child.content)
    return "".join(parts)
