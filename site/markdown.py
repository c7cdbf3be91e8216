"""markdown-it-py behind one module: runbook markdown as safe HTML (raw HTML off, only http(s) and relative links)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_site.highlight import highlight
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

# A link or image target the site will write: http(s), a fragment, or a path with no scheme at all.
# `javascript:`, `data:`, `vbscript:` and every other scheme become plain text.
# `//host/x` and `\\host/x` (browsers read `\` as `/`) are other sites, not relative paths.
_SAFE_URL = re.compile(r"(?i)^(?:https?://|#|(?![/\\]{2})[^:/?#\\]*(?:[/?#]|$))")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url: str) -> bool:
    """Whether `url` is http(s) or relative (control characters and spaces are stripped first, as browsers do)."""
    return bool(_SAFE_URL.match(_CONTROL.sub("", url)))


def _validate(url: str) -> bool:
    return safe_url(url)


class _Renderer(RendererHTML):
    """Links open as plain links; fenced code gets a language class the highlighter reads."""

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        language = token.info.strip().split(" ")[0] if token.info else ""
        return code_block(token.content, language)


def _parser() -> MarkdownIt:
    # commonmark with `html` off: `<script>` and `onerror=` in a runbook come out as text.
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}, renderer_cls=_Renderer)
    parser.validateLink = _validate
    parser.enable("table")
    return parser


_PARSER = _parser()
_INLINE = _parser()


def to_html(text: str) -> str:
    """A block of runbook markdown (cause, notes) as HTML."""
    paragraphs = _plain_paragraphs(text)
    return paragraphs if paragraphs is not None else _PARSER.render(text)


# A line that can only continue or start a paragraph: it begins with a letter (no list, heading, quote, fence,
# table or indented code) and ends without whitespace (no hard break; a paragraph sheds it).
_PROSE_LINE = re.compile(r"[^\W\d_][^|]*(?<!\s)")


def _plain_paragraphs(text: str) -> str | None:
    """The HTML of a block that is only paragraphs of prose and single-backtick code, or None for any other.

    CommonMark renders each run of such lines as `<p>`, the lines joined by a newline; a tested property
    holds this equal to the parser's output.
    """
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if not line:
            paragraphs.append([])
            continue
        if _PROSE_LINE.fullmatch(line) is None or line.count("`") % 2:
            return None
        spans = _code_spans_only(line)
        if spans is None:
            return None
        paragraphs[-1].append(spans)
    return "".join(f"<p>{chr(10).join(lines)}</p>\n" for lines in paragraphs if lines)


# Text without any character that starts inline markdown (emphasis, code, links, autolinks, entities,
# escapes, line breaks) renders as itself, escaped: most runbook lines skip the parser.
_MARKUP = re.compile(r"[\\`*_\[\]!<>&\n\r\x00]")


def inline_html(text: str) -> str:
    """One line of runbook markdown (a step, a symptom) as inline HTML, without the paragraph around it."""
    if _MARKUP.search(text) is None:
        return escapeHtml(text)
    spans = _code_spans_only(text)
    return spans if spans is not None else _INLINE.renderInline(text)


def _code_spans_only(text: str) -> str | None:
    """The HTML of a line whose only markdown is `code` spans of single backticks, or None for any other.

    Most runbook lines are prose with a few commands in backticks. CommonMark renders such a span as its
    content escaped, one space stripped from each end when both ends have one (and it is not all spaces);
    a tested property holds this equal to the parser's output.
    """
    if "\n" in text or "\r" in text or "``" in text:  # a run of backticks opens or closes only its own length
        return None
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return None  # an unmatched backtick
    out = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if _MARKUP.search(part):
                return None
            out.append(escapeHtml(part))
        else:
            if len(part) > 1 and part[0] == " " and part[-1] == " " and part.strip(" "):
                part = part[1:-1]
            out.append(f"<code>{escapeHtml(part)}</code>")
    return "".join(out)


def code_block(code: str, language: str) -> str:
    """A `<pre>` with a copy button; the language names the highlighter (shell, yaml)."""
    body = highlight(code.rstrip("\n"), language)
    label = f' data-lang="{_attr(language)}"' if language else ""
    return (
        f'<div class="code"{label}><button type="button" class="copy" aria-label="Copy to clipboard">Copy</button>'
        f'<pre tabindex="0"><code>{body}</code></pre></div>\n'
    )


def _attr(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", value)
