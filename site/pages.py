"""The site's pages computed from kb's data: pure functions, no files (the writer in build.py does those)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb_site.i18n import LANGUAGES, PREFIX
from kb_site.markdown import code_block, inline_html, safe_url, to_html
from markupsafe import Markup

from kb import Runbook, Severity

SEVERITIES = [severity.value for severity in Severity]
REFERENCE_SECTIONS = ("flags", "details", "ports")
_KEYS = {"flags": "flag", "details": "detail", "ports": "port"}


@dataclass(frozen=True)
class Source:
    """A runbook and the path of its YAML file under the runbooks directory (for "edit this runbook")."""

    runbook: Runbook
    path: str


@dataclass(frozen=True)
class Page:
    """One HTML file, or one view of a file (a runbook in Chinese, `written` False): where it is (relative to
    the site root; a view's path carries its query), its template and what the template shows."""

    path: str
    template: str
    lang: str
    title: str
    context: Mapping[str, Any] = field(default_factory=dict)
    alternate: str | None = None
    search: bool = False  # whether Pagefind indexes it
    written: bool = True  # False for a view that is only a search record (a runbook in Chinese)
    bilingual: bool = False  # the page holds both languages; the reader's is shown (see `bilingual`)

    @property
    def root(self) -> str:
        """The relative way back to the site root from this page: links work from any sub-path and file://."""
        return "../" * self.path.count("/")


# A runbook's page holds both languages; this query opens it in Chinese (boot.js reads it).
ZH_QUERY = "?lang=zh"


def runbook_path(runbook_id: str, lang: str) -> str:
    """Where a runbook's page is, from the site root, as a link that opens it in `lang`."""
    return f"runbooks/{runbook_id}.html" + (ZH_QUERY if lang == "zh" else "")


def all_pages(
    sources: Sequence[Source], reference: Sequence[Mapping[str, Any]], repo_url: str | None
) -> Iterator[Page]:
    """Every page of the site in both languages, in a fixed order: the runbook pages first, made one runbook at
    a time (so a search index can start on them while the rest is made).

    A runbook has one page holding both languages. Its content past the summary and symptoms is written in
    English only, so a second page per runbook would repeat it: a thousand runbooks would cost a thousand
    more pages to render and 40 MB more to write. Its Chinese view still has a search record of its own."""
    runbooks = [source.runbook for source in sources]
    # Computed once and shared by every page that shows them: a runbook's card per language, the groups,
    # and the parts of a runbook page that are the same in both languages (markdown rendered once).
    cards = {lang: {runbook.id: card(runbook, lang) for runbook in runbooks} for lang in LANGUAGES}
    for source in sources:
        parts = _shared_parts(source, repo_url)
        chinese = runbook_page(source, parts, cards["zh"], "zh")
        yield bilingual(runbook_page(source, parts, cards["en"], "en"), chinese)
        yield chinese
    groups = {
        "components": _groups(runbooks, lambda r: [c.value for c in r.components]),
        "tags": _groups(runbooks, lambda r: list(r.tags)),
        "severity": _groups(runbooks, lambda r: [r.severity.value]),
    }
    for lang in LANGUAGES:
        pages = [home_page(runbooks, groups, cards[lang], lang)]
        pages.append(list_page("runbooks.html", "all_runbooks", runbooks, cards[lang], lang))
        for group, members in groups.items():
            pages += group_pages(group, members, cards[lang], lang)
        pages += [reference_page(section, reference, cards[lang], lang) for section in REFERENCE_SECTIONS]
        yield from (_with_alternate(page) for page in pages)
    yield Page("404.html", "404.html", "en", "Page not found", alternate=None)


def bilingual(english: Page, chinese: Page) -> Page:
    """The English page carrying its Chinese view's title, summary, symptoms and links (`zh` in its context)."""
    context = {**english.context, "zh": chinese.context}
    return Page(english.path, english.template, "en", english.title, context, alternate=chinese.path, search=True,
                bilingual=True)  # fmt: skip


def _with_alternate(page: Page) -> Page:
    if page.path == "404.html":
        return page
    other = page.path.removeprefix(PREFIX["zh"]) if page.lang == "zh" else PREFIX["zh"] + page.path
    return Page(page.path, page.template, page.lang, page.title, page.context, other, page.search)


def _groups(runbooks: Iterable[Runbook], keys: Any) -> dict[str, list[Runbook]]:
    groups: dict[str, list[Runbook]] = defaultdict(list)
    for runbook in runbooks:
        for key in keys(runbook):
            groups[key].append(runbook)
    return dict(sorted(groups.items(), key=lambda item: _group_order(item[0])))


def _group_order(key: str) -> tuple[int, str]:
    return (SEVERITIES.index(key), key) if key in SEVERITIES else (len(SEVERITIES), key)


def card(runbook: Runbook, lang: str) -> dict[str, Any]:
    """What a list shows of a runbook: its title and summary in the page's language, where they exist."""
    zh = lang == "zh"
    return {
        "id": runbook.id,
        "lang": lang,
        "href": runbook_path(runbook.id, lang),  # from the site root
        "title": (runbook.title_zh if zh and runbook.title_zh else runbook.title),
        "summary": Markup(inline_html(_summary(runbook, lang))),
        "severity": runbook.severity.value,
        "kind": runbook.kind.value,
        "components": [component.value for component in runbook.components],
    }


Cards = Mapping[str, Mapping[str, Any]]


def home_page(runbooks: Sequence[Runbook], groups: Mapping[str, Mapping[str, Sequence[Runbook]]], cards: Cards,
              lang: str) -> Page:  # fmt: skip
    context = {
        "count": len(runbooks),
        "severities": {key: len(value) for key, value in groups["severity"].items()},
        "components": {key: len(value) for key, value in groups["components"].items()},
        "cards": [cards[runbook.id] for runbook in runbooks],
    }
    return Page(f"{PREFIX[lang]}index.html", "home.html", lang, "", context)


def list_page(path: str, heading: str, runbooks: Sequence[Runbook], cards: Cards, lang: str) -> Page:
    context = {"heading_key": heading, "cards": [cards[runbook.id] for runbook in runbooks]}
    return Page(f"{PREFIX[lang]}{path}", "list.html", lang, heading, context)


def group_pages(group: str, members: Mapping[str, Sequence[Runbook]], cards: Cards, lang: str) -> list[Page]:
    """An overview of the group (components, tags, severity) and one page per value."""
    overview = {"group": group, "values": [(key, len(value)) for key, value in members.items()]}
    pages = [Page(f"{PREFIX[lang]}{group}/index.html", "groups.html", lang, group, overview)]
    for key, runbooks in members.items():
        context = {"group": group, "value": key, "cards": [cards[runbook.id] for runbook in runbooks]}
        pages.append(Page(f"{PREFIX[lang]}{group}/{key}.html", "group.html", lang, key, context))
    return pages


def reference_page(section: str, table: Sequence[Mapping[str, Any]], cards: Cards, lang: str) -> Page:
    shown = {runbook_id: (card["title"], card["href"]) for runbook_id, card in cards.items()}
    rows = []
    for entry in table:
        if entry["section"] != section:
            continue
        key = entry[_KEYS[section]]
        extra = {name: value for name, value in entry.items() if name not in ("section", _KEYS[section], "runbooks")}
        declared = [(rid, *shown[rid]) for rid in entry["runbooks"] if rid in shown]
        rows.append({"key": key, "anchor": anchor(key), "fields": extra, "runbooks": declared})
    return Page(f"{PREFIX[lang]}reference/{section}.html", "reference.html", lang, section,
                {"section": section, "rows": rows})  # fmt: skip


def anchor(text: str) -> str:
    """An id for a heading or table row: lower-case letters, digits and `-` only."""
    out = "".join(char if char.isalnum() and char.isascii() else "-" for char in text.lower())
    return "-".join(part for part in out.split("-") if part) or "x"


def _shared_parts(source: Source, repo_url: str | None) -> dict[str, Any]:
    """The parts of a runbook page that are the same in English and Chinese (markdown rendered once)."""
    runbook = source.runbook
    return {
        "rb": runbook,
        "summary_en": Markup(inline_html(runbook.summary)),
        "symptoms_en": [Markup(inline_html(text)) for text in runbook.symptoms],
        "cause": Markup(to_html(runbook.cause)) if runbook.cause else None,
        "impact": Markup(to_html(runbook.impact)) if runbook.impact else None,
        "diagnosis": [_step(step, "diagnosis", number) for number, step in enumerate(runbook.diagnosis, 1)],
        "fix": [_step(step, "fix", number) for number, step in enumerate(runbook.fix, 1)],
        "verify": [_step(step, "verify", number) for number, step in enumerate(runbook.verify, 1)],
        "prevention": [Markup(inline_html(text)) for text in runbook.prevention],
        "references": [(ref.title, ref.url if safe_url(ref.url) else None) for ref in runbook.references],
        "examples": [(example.text, _source_link(example.source)) for example in runbook.examples],
        "components": [component.value for component in runbook.components],
        "data_plane": [plane.value for plane in runbook.applies_to.data_plane],
        "edit_url": f"{repo_url.rstrip('/')}/{source.path}" if repo_url and safe_url(repo_url) else None,
    }


def runbook_page(source: Source, shared: Mapping[str, Any], cards: Cards, lang: str) -> Page:
    runbook = source.runbook
    zh = lang == "zh"
    title = runbook.title_zh if zh and runbook.title_zh else runbook.title
    context = dict(shared)
    context.update({
        "heading": title,
        "subtitle": runbook.title if zh and runbook.title_zh else None,
        "summary": cards[runbook.id]["summary"],
        "description": _summary(runbook, lang),
        "symptoms": (
            [Markup(inline_html(text)) for text in runbook.symptoms_zh]
            if zh and runbook.symptoms_zh else shared["symptoms_en"]
        ),
        "related": [cards[rid] for rid in runbook.related if rid in cards],
    })  # fmt: skip
    # The Chinese view is not a file: it is the English page opened with ZH_QUERY, and a search record.
    return Page(runbook_path(runbook.id, lang), "runbook.html", lang, title, context, search=True, written=not zh)


def _summary(runbook: Runbook, lang: str) -> str:
    """The summary in `lang` where it exists, as plain text (the page's description meta tag)."""
    return runbook.summary_zh if lang == "zh" and runbook.summary_zh else runbook.summary


def _source_link(source: str) -> tuple[str, str | None]:
    return (source, source if source.startswith(("http://", "https://")) and safe_url(source) else None)


def _step(step: Any, section: str, number: int) -> dict[str, Any]:
    manifest = getattr(step, "manifest", None)
    return {
        "id": f"{section}-{number}",
        "number": number,
        "text": Markup(inline_html(step.text)),
        "commands": Markup("".join(code_block(command, "shell") for command in step.commands)),
        "expect": Markup(inline_html(step.expect)) if step.expect else None,
        "manifest": Markup(code_block(manifest, "yaml")) if manifest else None,
    }
