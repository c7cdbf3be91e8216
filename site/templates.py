"""jinja2 behind one module: every template autoescaped, undefined names an error, output stable."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from kb_site.i18n import HTML_LANG, PREFIX, words
from kb_site.pages import Page
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent / "templates"
_GROUP_TITLES = {"components": "components", "tags": "tags", "severity": "severity"}


def environment() -> Environment:
    """The templates' environment for one build (it remembers the runbook cards it has rendered)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build reads each template once; no stat of its file on every page
    )
    rendered: dict[tuple[str, str, str], Markup] = {}

    def card_html(card: dict[str, Any], root: str) -> Markup:
        key = (card["id"], card["lang"], root)
        if key not in rendered:
            rendered[key] = env.get_template("macros.html").module.card(card, root)  # type: ignore[attr-defined]
        return rendered[key]

    env.globals["card_html"] = card_html
    return env


# What Pagefind indexes of a page that is searched (see the template), in place of the page's HTML.
RECORD = "record.html"


def render(env: Environment, page: Page, site: dict[str, Any], template: str | None = None) -> str:
    """The page's HTML (or, with `template`, another view of the same page such as its search record);
    `site` holds what every page shows (version, count, base URL)."""
    t = words(page.lang)
    root = site["base_url"] if page.path == "404.html" and site["base_url"] else page.root
    base = root + PREFIX[page.lang]
    context: dict[str, Any] = {
        "page": page,
        "t": t,
        "root": root,
        "base": base,
        **_language_helpers(page, t, root, base),
        "html_lang": HTML_LANG[page.lang],
        "heading": _heading(page, t),
        "description": t["tagline"],
        "canonical": f"{site['base_url']}{page.path}" if site["base_url"] else None,
        "version": site["version"],
        "count": site["count"],
        **page.context,
    }
    if page.template == "runbook.html":
        context["heading"] = page.context["heading"]
        context["description"] = page.context["description"]
    if page.template in ("group.html", "groups.html"):
        context["group_title"] = t[_GROUP_TITLES[page.context["group"]]]
    if page.template == "reference.html":
        context.update(_reference_columns(page, t))
    return env.get_template(template or page.template).render(context)


# A bilingual page shows its reader's language: CSS hides the other one's `l-` elements (site.css), and
# site.js moves each `data-zh-` attribute into place for a Chinese reader.
_PAIR = '<span class="l-en">{}</span><span class="l-zh" lang="zh-CN">{}</span>'


def _language_helpers(page: Page, t: dict[str, str], root: str, base: str) -> dict[str, Any]:
    """`w(key)`, a UI word; `link(path)`, the href of a page under the language's base; `attr(name, key)`, an
    attribute holding a UI word. On a bilingual page each carries both languages, and `pair(english, chinese)`
    shows the two versions of a text (one, when they are the same). Plain f-strings: Markup.format took half
    of a runbook page's render."""
    if not page.bilingual:
        shown = _escaped_words(page.lang)
        return {
            "w": shown.__getitem__,
            "link": lambda path: Markup(f'href="{escape(base + path)}"'),
            "attr": lambda name, key: Markup(f'{name}="{shown[key]}"'),
        }
    zh, zh_base, both = words("zh"), root + PREFIX["zh"], _paired_words()
    english, chinese = _escaped_words("en"), _escaped_words("zh")
    return {
        "t_zh": zh,
        "w": both.__getitem__,
        "link": lambda path: Markup(f'href="{escape(base + path)}" data-zh-href="{escape(zh_base + path)}"'),
        "attr": lambda name, key: Markup(f'{name}="{english[key]}" data-zh-{name}="{chinese[key]}"'),
        "pair": lambda en, cn: escape(en) if en == cn else Markup(_PAIR.format(escape(en), escape(cn))),
    }


@cache
def _escaped_words(lang: str) -> dict[str, Markup]:
    return {key: escape(value) for key, value in words(lang).items()}


@cache
def _paired_words() -> dict[str, Markup]:
    english, chinese = _escaped_words("en"), _escaped_words("zh")
    return {key: Markup(_PAIR.format(english[key], chinese[key])) for key in english}


def _heading(page: Page, t: dict[str, str]) -> str:
    if page.template in ("list.html",):
        return t[page.context["heading_key"]]
    if page.template == "groups.html":
        return t[_GROUP_TITLES[page.context["group"]]]
    if page.template == "group.html":
        return f"{t[_GROUP_TITLES[page.context['group']]]}: {page.context['value']}"
    if page.template == "reference.html":
        return t[page.context["section"]]
    if page.template == "404.html":
        return t["not_found"]
    return ""


def _reference_columns(page: Page, t: dict[str, str]) -> dict[str, Any]:
    names: list[str] = []
    for row in page.context["rows"]:
        names += [name for name in row["fields"] if name not in names]
    keys = {"flags": "flag", "details": "detail", "ports": "port"}
    return {"columns": names, "key_title": keys[page.context["section"]]}
