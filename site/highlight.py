"""A small highlighter for the two languages runbooks hold: shell commands and Kubernetes YAML.

Every piece of text is escaped; only the `<span class>` wrappers are markup.
"""

from __future__ import annotations

import html
import re

_SHELL = re.compile(
    r"(?P<comment>(?:^|(?<=\s))#[^\n]*)"
    r"|(?P<string>'[^'\n]*'|\"(?:[^\"\\\n]|\\.)*\")"
    r"|(?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"
    r"|(?P<flag>(?<![\w-])--?[A-Za-z][\w-]*)"
    r"|(?P<op>\||&&|;|>)"
)
_YAML = re.compile(
    r"(?P<comment>(?:^|(?<=\s))#[^\n]*)"
    r"|(?P<key>^[ \t]*(?:- )?[A-Za-z0-9_.\"/-]+(?=:(?:\s|$)))"
    r"|(?P<string>'[^'\n]*'|\"(?:[^\"\\\n]|\\.)*\")"
    r"|(?P<var>\$[A-Z][A-Z_]*)"
    r"|(?P<doc>^---$)",
    re.MULTILINE,
)
_LANGUAGES = {"yaml": _YAML, "yml": _YAML, "shell": _SHELL, "sh": _SHELL, "bash": _SHELL, "console": _SHELL}


def highlight(code: str, language: str) -> str:
    """`code` escaped, with known tokens wrapped in `<span class="tok-KIND">`; unknown languages are only escaped."""
    pattern = _LANGUAGES.get(language.lower())
    if pattern is None:
        return html.escape(code)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(code):
        if match.start() == match.end():
            continue
        parts.append(html.escape(code[last : match.start()]))
        kind = match.lastgroup or "text"
        parts.append(f'<span class="tok-{kind}">{html.escape(match[0])}</span>')
        last = match.end()
    parts.append(html.escape(code[last:]))
    return "".join(parts)
