"""kb site build into a temp dir: every page renders, links and anchors resolve, tags close, search holds
every runbook in both languages, the hostile runbook renders inert, rebuilds are byte-identical."""

from __future__ import annotations

import gc
import gzip
import json
import re
import subprocess
import sys
import weakref
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kb_site.build import MARKER, Options, Report, Writer, build
from kb_site.markdown import _INLINE, _PARSER, inline_html, safe_url, to_html
from kb_site.pagefind_files import _cbor, _uncbor, canonicalize
from kb_site.pages import Source, all_pages, runbook_path
from kb_site.search import Indexer, chinese_words, searchable
from kb_site.templates import RECORD, environment, render
from markupsafe import escape

from kb import KBError, UsageError, bundled_runbooks_dir, load_runbooks
from kb.search import searchable_chinese
from tests.conftest import run_kb
from tests.site_fixtures import REPO_URL

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Links, ids, scripts and tag balance of one HTML file."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.stack: list[str] = []
        self.unbalanced: list[str] = []
        self.scripts: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src", "data-zh-href"):  # data-zh-href: a link in a runbook page's Chinese view
            if values.get(name) is not None:
                self.links.append(str(values[name]))
        if tag == "script":
            self.scripts.append(str(values.get("src")))
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.unbalanced.append(f"</{tag}> with open {self.stack[-3:]}")
            return
        self.stack.pop()


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def html_files(out: Path) -> list[Path]:
    return sorted(path for path in out.rglob("*.html") if "pagefind" not in path.parts)


def test_every_page_renders_with_closed_tags(real_site: tuple[Path, Report]) -> None:
    out, report = real_site
    files = html_files(out)
    assert len(files) == report.pages
    runbooks = list(load_runbooks(bundled_runbooks_dir()).catalog)
    for runbook in runbooks:
        assert (out / "runbooks" / f"{runbook.id}.html").is_file()
    assert not (out / "zh" / "runbooks").exists()  # one page per runbook holds both languages
    for name in ("index.html", "404.html", "sitemap.xml", "reference/flags.html", "reference/details.html",
                 "reference/ports.html", "components/index.html", "tags/index.html", "severity/high.html"):  # fmt: skip
        assert (out / name).is_file(), name
    problems = {}
    for path in files:
        page = parse(path)
        if page.unbalanced or page.stack:
            problems[str(path.relative_to(out))] = page.unbalanced[:3] + [f"unclosed {page.stack}"] * bool(page.stack)
    assert problems == {}


def test_every_internal_link_and_anchor_resolves(real_site: tuple[Path, Report]) -> None:
    out, _ = real_site
    parsed = {path: parse(path) for path in html_files(out)}
    broken = []
    for path, page in parsed.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https") or link.startswith("data:"):
                continue
            assert not parts.scheme, f"{path}: unexpected scheme in {link}"
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.is_file():
                broken.append(f"{path.relative_to(out)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{path.relative_to(out)} -> {link} (no #{parts.fragment})")
    assert broken == []


def test_runbook_page_has_both_languages_and_its_parts(real_site: tuple[Path, Report]) -> None:
    out, _ = real_site
    runbook = load_runbooks(bundled_runbooks_dir()).catalog.get("subset-no-healthy-upstream")
    en = (out / "runbooks" / "subset-no-healthy-upstream.html").read_text(encoding="utf-8")
    assert '<html lang="en" data-lang="en" data-page-lang="both"' in en
    assert runbook.title_zh and runbook.summary_zh and runbook.symptoms_zh
    assert f'<span class="l-zh" lang="zh-CN">{_escaped(runbook.title_zh)}</span></h1>' in en
    assert f'<span class="l-en">{_escaped(runbook.title)}</span>' in en
    assert f'<span class="l-zh" lang="zh-CN">{inline_html(runbook.summary_zh)}</span>' in en
    chinese = en.split('<ul class="symptoms l-zh" lang="zh-CN">', 1)[1].split("</ul>", 1)[0]
    english = en.split('<ul class="symptoms l-en">', 1)[1].split("</ul>", 1)[0]
    assert chinese == "".join(f"<li>{inline_html(symptom)}</li>" for symptom in runbook.symptoms_zh)
    assert english == "".join(f"<li>{inline_html(symptom)}</li>" for symptom in runbook.symptoms)
    # Its links and labels for a Chinese reader, which site.js puts in place.
    assert 'href="../runbooks.html" data-zh-href="../zh/runbooks.html"' in en
    assert 'placeholder="Search (press /)" data-zh-placeholder="搜索（按 /）"' in en
    assert '<span class="l-en">Diagnosis</span><span class="l-zh" lang="zh-CN">诊断</span>' in en
    # Related runbooks: an English list, and a Chinese one whose cards open the Chinese view.
    related = en.split('<section class="related">', 1)[1].split("</section>", 1)[0]
    english_cards, chinese_cards = related.split('<div class="l-zh" lang="zh-CN">', 1)
    assert runbook.related and all(f'href="../runbooks/{rid}.html"' in english_cards for rid in runbook.related)
    assert all(f'href="../runbooks/{rid}.html?lang=zh"' in chinese_cards for rid in runbook.related)
    for anchor in ('id="symptoms"', 'id="diagnosis"', 'id="fix"', 'id="diagnosis-1"', 'class="copy"',
                   'data-pagefind-filter="component"', 'data-pagefind-filter="severity"',
                   'href="https://github.com/example/kb/edit/main/runbooks/'):  # fmt: skip
        assert anchor in en, anchor
    assert 'class="tok-var">$NAMESPACE</span>' in en  # commands are highlighted


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def test_reference_pages_link_the_declaring_runbooks(real_site: tuple[Path, Report]) -> None:
    out, _ = real_site
    flags = (out / "reference" / "flags.html").read_text(encoding="utf-8")
    assert 'id="uh"' in flags and 'href="../runbooks/subset-no-healthy-upstream.html"' in flags
    # The Chinese pages open a runbook in Chinese.
    chinese = (out / "zh" / "reference" / "flags.html").read_text(encoding="utf-8")
    assert 'href="../../runbooks/subset-no-healthy-upstream.html?lang=zh"' in chinese
    assert 'href="../../runbooks/subset-no-healthy-upstream.html"' not in chinese
    home = (out / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../runbooks/subset-no-healthy-upstream.html?lang=zh">' in home
    ports = (out / "reference" / "ports.html").read_text(encoding="utf-8")
    assert "15012" in ports


def test_sitemap_lists_every_page_but_the_404(real_site: tuple[Path, Report]) -> None:
    out, report = real_site
    locs = re.findall(r"<loc>([^<]+)</loc>", (out / "sitemap.xml").read_text(encoding="utf-8"))
    runbooks = len(load_runbooks(bundled_runbooks_dir()).catalog)
    assert len(locs) == report.pages - 1 + runbooks and "404.html" not in locs  # and each runbook's Chinese view
    assert "runbooks/route-not-found.html" in locs and "runbooks/route-not-found.html?lang=zh" in locs


def _search_urls(out: Path) -> dict[str, set[str]]:
    entry = json.loads((out / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    urls: dict[str, set[str]] = {language: set() for language in entry["languages"]}
    for fragment in (out / "pagefind" / "fragment").iterdir():
        language = fragment.name.split("_")[0]
        data = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        urls[language].add(json.loads(data)["url"])
    return urls


def test_search_index_holds_every_runbook_in_both_languages(real_site: tuple[Path, Report]) -> None:
    out, _ = real_site
    ids = load_runbooks(bundled_runbooks_dir()).catalog.ids
    urls = _search_urls(out)
    assert set(urls) == {"en", "zh-cn"}
    assert urls["en"] == {f"/runbooks/{rid}.html" for rid in ids}
    assert urls["zh-cn"] == {f"/runbooks/{rid}.html?lang=zh" for rid in ids}


def test_hostile_runbook_renders_inert(hostile_site: Path) -> None:
    scripts = {"assets/boot.js", "assets/site.js", "assets/paste.js"}
    for path in html_files(hostile_site):
        page = parse(path)
        root = "../" * len(path.relative_to(hostile_site).parent.parts)
        assert {src.removeprefix(root) for src in page.scripts} <= scripts, path
        assert page.handlers == [], path
        assert not [link for link in page.links if re.match(r"(?i)\s*(javascript|vbscript|data:text)", link)], path
        assert page.unbalanced == [] and page.stack == []
    html = (hostile_site / "runbooks" / "hostile-runbook.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
    assert "<script>alert" not in html and "<img" not in html and "<iframe" not in html and "<svg" not in html
    assert 'href="https://istio.io/latest/docs/"' in html and 'href="../runbooks.html"' in html
    assert "javascript:alert(3)" in html  # shown as text, not as a link
    assert "&lt;script&gt;alert(&#34;zh&#34;)" in html  # its Chinese title


@pytest.mark.parametrize(
    ("url", "safe"),
    [("https://istio.io/", True), ("../x.html", True), ("#fix", True), ("x.html?a=b", True),
     ("javascript:alert(1)", False), (" JavaScript:alert(1)", False), ("java\tscript:x", False),
     ("data:text/html,x", False), ("vbscript:x", False), ("file:///etc/passwd", False), ("//evil.example/x", False),
     ("\\\\evil.example/x", False), ("/\\evil.example", False)],
)  # fmt: skip
def test_only_http_and_relative_urls_are_safe(url: str, safe: bool) -> None:
    assert safe_url(url) is safe


def test_markdown_has_raw_html_off() -> None:
    assert to_html("<b onclick=x>hi</b>") == "<p>&lt;b onclick=x&gt;hi&lt;/b&gt;</p>\n"
    assert inline_html("[a](javascript:alert(1))") == "[a](javascript:alert(1))"


def _contents(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*")) if path.is_file()}


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out = tmp_path / "out"
    options = Options(Path(__file__).parent / "data" / "site-hostile", out)
    build(options)
    first = _contents(out)
    build(options)
    assert _contents(out) == first


def test_rebuilds_into_a_fresh_and_into_the_same_folder_are_byte_identical(
    real_site: tuple[Path, Report], tmp_path: Path
) -> None:
    """Every file, the Pagefind index included: its filters come out of a hash map seeded per process."""
    out, _ = real_site
    again = tmp_path / "elsewhere" / "site"
    options = Options(bundled_runbooks_dir(), again, repo_url=REPO_URL)
    build(options)
    first, second = _contents(out), _contents(again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert any(name.startswith("pagefind/filter/") for name in first)
    assert all(content for name, content in first.items() if name.startswith("pagefind/"))
    build(options)  # over the site it wrote a moment ago
    third = _contents(again)
    assert sorted(third) == sorted(first)
    assert [name for name in first if first[name] != third[name]] == []


def test_pagefind_metadata_reads_and_writes_back_unchanged() -> None:
    """The CBOR reader and writer that sort Pagefind's filters give back Pagefind's own bytes for its files."""
    pages = [(f"/runbooks/r{n}.html", _searchable_page(n)) for n in range(12)]
    with Indexer() as indexer:
        for url, html in pages:
            indexer.add(url, html)
        files = indexer.files()
        assert indexer.pages == len(pages)
    raw = [name for name in files if name.endswith((".pf_meta", ".pf_filter"))]
    assert len(raw) == 3  # the metadata and the two filters
    for name in raw:
        data = gzip.decompress(files[name]).removeprefix(b"pagefind_dcd")
        value, end = _uncbor(data, 0)
        assert end == len(data) and _cbor(value) == data, name
    assert canonicalize(files) == files  # what files() returns is already canonical
    entry = json.loads(files["pagefind-entry.json"])
    meta = files[f"pagefind.{entry['languages']['en']['hash']}.pf_meta"]
    filters = _uncbor(gzip.decompress(meta).removeprefix(b"pagefind_dcd"), 0)[0][3]
    assert [name for name, _ in filters] == ["component", "severity"]
    for _, name in filters:
        data = gzip.decompress(files[f"filter/{name}.pf_filter"])
        values = [value for value, _ in _uncbor(data.removeprefix(b"pagefind_dcd"), 0)[0][1]]
        assert values == sorted(values) and len(values) > 1


@pytest.mark.parametrize(
    ("text", "indexed"),
    [
        ("Envoy circuit breaking", "Envoy circuit breaking"),  # no Chinese: unchanged
        # 熔断 begins an indexed word, and so does 断 (the browser cuts 熔断 into 熔 + 断)
        ("触发了 Envoy 熔断", " 触发 发 了  Envoy  熔断 断 "),
        ("熔断阈值", " 熔断 断 阈值 值 "),
    ],
)
def test_chinese_text_is_indexed_as_words_and_their_endings(text: str, indexed: str) -> None:
    assert searchable_chinese(text) == indexed


def test_chinese_pages_reach_pagefind_cut_into_words_with_their_title_kept() -> None:
    article = '<article data-pagefind-body><h1 data-pagefind-meta="title">UO：Envoy 熔断</h1><p>熔断阈值</p></article>'
    assert chinese_words(article) == (
        '<article data-pagefind-body><h1 data-pagefind-meta="title:UO：Envoy 熔断">UO：Envoy  熔断 断 </h1>'
        "<p> 熔断 断 阈值 值 </p></article>"
    )
    page = f'<html lang="zh-CN"><body><nav>菜单</nav>{article}</body></html>'
    cut = chinese_words(article)
    assert searchable(page) == ("zh-CN", f'<html lang="zh-CN"><head></head><body>{cut}</body></html>')
    english = page.replace('lang="zh-CN"', 'lang="en"')
    assert searchable(english) == ("en", f'<html lang="en"><head></head><body>{article}</body></html>')


def _searchable_page(number: int) -> str:
    component, severity = ("gateway", "sidecar", "istiod")[number % 3], ("low", "high")[number % 2]
    return (f'<html lang="en"><body><nav>menu</nav><article data-pagefind-body><h1 data-pagefind-meta="title">'
            f'Runbook {number}</h1><span data-pagefind-filter="component">{component}</span>'
            f'<span data-pagefind-filter="severity">{severity}</span><p>upstream reset {number}</p></article>'
            "</body></html>")  # fmt: skip


def test_bad_options_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(UsageError) as error:
        build(Options(bundled_runbooks_dir(), tmp_path, base_url="ftp://x", repo_url="javascript:alert(1)"))
    message = str(error.value)
    assert "--base-url" in message and "--repo-url" in message and "not empty" in message
    assert (tmp_path / "keep.txt").read_text() == "mine" and not (tmp_path / MARKER).exists()


def test_broken_runbooks_fail_the_build_with_every_problem(tmp_path: Path) -> None:
    broken = Path(__file__).parent / "data" / "invalid"
    with pytest.raises(KBError, match="problem"):
        build(Options(broken, tmp_path / "out", search=False))


def test_cli_builds_the_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    done = run_kb("site", "build", "--runbooks", str(Path(__file__).parent / "data" / "site-hostile"),
                  "--out", str(out), "--base-url", "https://kb.example/docs/")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "built " in done.stdout and "kb site: search" in done.stderr
    assert "<loc>https://kb.example/docs/runbooks/hostile-runbook.html</loc>" in (out / "sitemap.xml").read_text()
    again = run_kb("site", "build", "--runbooks", str(Path(__file__).parent / "data" / "site-hostile"),
                   "--out", str(out), "--json")  # fmt: skip
    facts = json.loads(again.stdout)
    assert again.returncode == 0 and facts["runbooks"] == 2 and facts["pages"] > 2 and facts["bytes"] > 0
    assert facts["out"] == str(out) and "render" in facts["seconds"]
    bad = run_kb("site", "build", "--out", str(out), "--base-url", "nope")
    assert bad.returncode == 2 and "--base-url must be an http(s) URL" in bad.stderr


def test_summaries_render_as_safe_inline_markdown(real_site: tuple[Path, Report], hostile_site: Path) -> None:
    out, _ = real_site
    runbook = next(r for r in load_runbooks(bundled_runbooks_dir()).catalog if "`" in r.summary)
    page = (out / "runbooks" / f"{runbook.id}.html").read_text(encoding="utf-8")
    assert f'<p class="summary"><span class="l-en">{inline_html(runbook.summary)}</span>' in page
    assert "<code>" in inline_html(runbook.summary)
    home = (out / "index.html").read_text(encoding="utf-8")
    assert f"<p>{inline_html(runbook.summary)}</p>" in home
    hostile = (hostile_site / "runbooks.html").read_text(encoding="utf-8")
    assert "<script>alert" not in hostile and 'href="javascript' not in hostile
    assert "[a link](javascript:alert(5)) <code>in code</code>" in hostile


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_inline_fast_path_equals_the_parser(text: str) -> None:
    assert inline_html(text) == _INLINE.renderInline(text)


# Lines of prose and backticks (the code-span fast path) with the characters that would end it.
_PIECES = ["`", "`", "a", " ", "  ", "kubectl -n x", "*", "\\", "<", "&", "_", "\u00a0", "\t", "\n"]
_CODE_LINE = st.lists(st.sampled_from(_PIECES), max_size=16).map("".join)


@settings(max_examples=500)
@given(_CODE_LINE)
def test_inline_code_span_fast_path_equals_the_parser(text: str) -> None:
    assert inline_html(text) == _INLINE.renderInline(text)


# Blocks of lines that are prose, or start or end like other markdown (lists, headings, quotes, tables, code).
_LINE_STARTS = st.sampled_from(["", "Envoy", "a", "- ", "1. ", "# ", "> ", "    ", "```", "| a |", "===", "é", "2"])
_BLOCK_LINE = st.tuples(_LINE_STARTS, _CODE_LINE).map("".join)
_BLOCK = st.lists(_BLOCK_LINE, max_size=6).map("\n".join)


@settings(max_examples=500)
@given(_BLOCK)
def test_paragraph_fast_path_equals_the_parser(text: str) -> None:
    assert to_html(text) == _PARSER.render(text)


def _record(runbook_id: str, lang: str) -> str:
    runbooks = load_runbooks(bundled_runbooks_dir()).catalog
    sources = [Source(runbook, f"{runbook.id}.yaml") for runbook in runbooks]
    page = next(p for p in all_pages(sources, [], None) if p.path == runbook_path(runbook_id, lang))
    return render(environment(), page, {"version": "x", "count": len(sources), "base_url": None}, RECORD)


def test_search_records_hold_the_words_of_a_runbook_and_leave_its_code_out() -> None:
    runbook = load_runbooks(bundled_runbooks_dir()).catalog.get("subset-no-healthy-upstream")
    english, chinese = _record(runbook.id, "en"), _record(runbook.id, "zh")
    step = str(inline_html(runbook.diagnosis[0].text))
    assert step in english and str(inline_html(runbook.symptoms[0])) in english
    assert "<pre" not in english and runbook.diagnosis[0].commands[0] not in english
    assert any(step.manifest for step in runbook.fix) and "apiVersion" not in english
    # Chinese: its own words and the English title; the rest of the English is the English index's, which a
    # Chinese search asks too (site.js), so it is not indexed twice.
    assert runbook.title_zh and escape(runbook.title_zh) in chinese and escape(runbook.title) in chinese
    assert runbook.symptoms_zh and str(inline_html(runbook.symptoms_zh[0])) in chinese
    assert str(inline_html(runbook.symptoms[0])) not in chinese and str(inline_html(runbook.summary)) not in chinese
    assert step not in chinese
    assert f'data-pagefind-filter="severity:{runbook.severity.value}"' in english and searchable(chinese) is not None


def test_a_page_that_cannot_be_written_fails_the_build_clearly(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    (tmp_path / "runbooks").write_text("a file where the folder goes")
    writer.write("index.html", "<p>home</p>")
    writer.write("runbooks/x.html", "<p>x</p>")
    with pytest.raises(KBError, match="cannot write the site"):
        writer.close()
    assert (tmp_path / "index.html").read_text() == "<p>home</p>"


def test_a_writer_process_that_dies_fails_the_build_clearly(tmp_path: Path) -> None:
    writer = Writer(tmp_path)
    writer._process.kill()  # as the kernel's out-of-memory killer would
    writer._process.wait()
    for number in range(50):  # more than the pipe holds: the build must not block on a writer that is gone
        writer.write(f"runbooks/{number}.html", "x" * 100_000)
    with pytest.raises(KBError, match=r"cannot write the site: the writer stopped \(exit code -9\)"):
        writer.close()


def test_no_page_is_indexed_after_the_index_is_finished() -> None:
    with Indexer() as indexer:
        indexer.add("/a.html", _searchable_page(1))
        indexer.finish()
        with pytest.raises(KBError, match="after the search index was finished"):
            indexer.add("/b.html", _searchable_page(2))
        assert indexer.pages == 1 and "pagefind-entry.json" in indexer.files()


def test_the_site_scripts_use_no_inline_regex_modifiers() -> None:
    """`(?i:...)` is new in JavaScript (Chrome 125, Firefox 132; Node 20 rejects it): a browser without it would
    refuse the offline matcher's patterns and the paste box would not load. matcher.js spells either case out."""
    static = Path(__file__).resolve().parent.parent / "site" / "static"
    scripts = {path.name: path.read_text(encoding="utf-8") for path in static.glob("*.js")}
    assert "matcher.js" in scripts
    assert {name for name, text in scripts.items() if re.search(r"\(\?-?[imsx]+[:)]", text)} == set()


def test_a_rendered_runbook_page_is_freed_without_the_cyclic_collector() -> None:
    """A site build pauses the collector; a page left in a reference cycle (a macro defined in the page's own
    template holds its context) would stay until the end, and then cost a long collection."""
    runbooks = load_runbooks(bundled_runbooks_dir()).catalog
    sources = [Source(runbook, f"{runbook.id}.yaml") for runbook in runbooks]
    path = runbook_path("subset-no-healthy-upstream", "en")
    page = next(p for p in all_pages(sources, [], None) if p.path == path)
    env, site = environment(), {"version": "x", "count": len(sources), "base_url": None}
    probe = weakref.ref(page)
    enabled = gc.isenabled()
    gc.disable()
    try:
        render(env, page, site)
        del page
        assert probe() is None, "the page outlived its render: something holds it in a reference cycle"
    finally:
        if enabled:
            gc.enable()


# Run in a fresh interpreter, where jieba is not imported yet; prints whether the caller's local survived.
_FIRST_JIEBA_IMPORT = """
import gc, weakref
gc.disable()
from kb.search import cut_chinese
class Local: pass
def caller():
    local = Local()
    cut_chinese("熔断")
    return weakref.ref(local)
print(caller()() is None)
"""


def test_the_first_chinese_cut_leaves_its_callers_locals_to_be_freed() -> None:
    """Importing jieba leaves reference cycles through the importing frames; the caller's locals (a library
    being loaded) must not be caught in them."""
    done = subprocess.run([sys.executable, "-c", _FIRST_JIEBA_IMPORT], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True", done.stderr
