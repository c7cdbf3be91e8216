"""The built site in a real headless browser (Debian's chromium through playwright): search in English and
Chinese, the paste box offline, its agreement with kb.match, the language toggle, axe-core, screenshots."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, sync_playwright

import kb
from tests.test_field import NO_MESH_PASTES

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Where the screenshots go (a folder the CI log names); override with KB_SCREENSHOTS.
SCREENSHOTS = Path(os.environ.get("KB_SCREENSHOTS", REPO / "build" / "site-screenshots"))
DEV_CASES = REPO.parent / "shared" / "eval" / "dev-cases.yaml"
AGREEMENT = 0.85


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Console:
    """Console errors and uncaught exceptions of a page. On a static host the paste box's probe of
    POST /v1/match is refused (405); Chromium logs that refused request, which is the expected outcome."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        location = str(message.location.get("url", ""))
        if message.type == "error" and not (location.endswith("/v1/match") and "405" in message.text):
            self.errors.append(f"{message.text} at {location}")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _search(page: Page, url: str, query: str) -> str:
    page.goto(url)
    page.keyboard.press("/")  # `/` focuses the search box
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.type(query)
    first = page.locator("#search-results li a").first
    first.wait_for(timeout=15000)
    first.click()
    page.wait_for_load_state()
    return page.url


def test_english_and_chinese_search_reach_the_right_page(page: Page, served_site: str) -> None:
    console = Console(page)
    english = _search(page, served_site + "index.html", "circuit breaker overflow")
    assert english == served_site + "runbooks/circuit-breaker-overflow.html"
    assert page.get_attribute("h1", "data-pagefind-meta") == "title"  # the runbook page itself, not a 404
    chinese = _search(page, served_site + "zh/index.html", "异常点检测")
    assert chinese == served_site + "runbooks/outlier-detection-ejected-all.html?lang=zh"
    shown_in_chinese(page, "outlier-detection-ejected-all")
    # English typed on a Chinese page: found in the English index, it opens the runbook's page in Chinese.
    runbook = kb.default_library().catalog.get("circuit-breaker-overflow")
    query = "rejected the request without contacting the backend"  # from its English summary only
    in_chinese = " ".join([runbook.title, runbook.title_zh or "", runbook.summary_zh or "", *runbook.symptoms_zh])
    assert query in runbook.summary and not {"rejected", "contacting", "backend"} & set(in_chinese.split())
    mixed = _search(page, served_site + "zh/index.html", query)
    assert mixed == served_site + "runbooks/circuit-breaker-overflow.html?lang=zh"
    shown_in_chinese(page, "circuit-breaker-overflow")
    assert console.errors == []


def shown_in_chinese(page: Page, runbook_id: str) -> None:
    """The runbook's page shows its Chinese view: Chinese title, labels and links, and no English title."""
    runbook = kb.default_library().catalog.get(runbook_id)
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.locator("h1").inner_text() == runbook.title_zh
    assert page.title().startswith(f"{runbook.title_zh} · ")
    assert page.locator("#symptoms").inner_text().startswith("症状")
    assert page.get_attribute(".top-nav a >> nth=0", "href") == "../zh/runbooks.html"
    assert page.get_attribute("#search-input", "placeholder") == "搜索（按 /）"


def test_chinese_search_for_a_word_the_browser_cuts_finer(page: Page, served_site: str) -> None:
    """Chromium's segmenter cuts 熔断 (circuit breaking) into 熔 + 断, which Pagefind's own index kept whole."""
    console = Console(page)
    page.goto(served_site + "zh/index.html")
    assert page.evaluate("[...new Intl.Segmenter('zh-CN', {granularity: 'word'}).segment('熔断')].length") == 2
    runbook = kb.default_library().catalog.get("circuit-breaker-overflow")
    page.keyboard.press("/")
    page.keyboard.type("熔断")
    first = page.locator("#search-results li a").first
    first.wait_for(timeout=15000)
    assert first.inner_text() == runbook.title_zh  # the title as written, not the indexed words
    excerpt = page.locator("#search-results li p").first.inner_text()
    # The excerpt reads as written too: the indexed endings (熔断 断) are dropped and the words joined.
    assert "熔断" in excerpt and not re.search("[\u4e00-\u9fff] +[\u4e00-\u9fff]", excerpt), excerpt
    assert runbook.severity.value not in excerpt.split()  # filter values are not text
    page.fill("#search-input", "熔断器")  # the longer word (circuit breaker) finds the same runbook
    page.locator("#search-results li a", has_text=runbook.title_zh).first.wait_for(timeout=15000)
    first.click()
    page.wait_for_load_state()
    assert page.url == served_site + "runbooks/circuit-breaker-overflow.html?lang=zh"
    assert console.errors == []


def _example(runbook_id: str) -> str:
    return kb.default_library().catalog.get(runbook_id).examples[0].text


def paste_into_the_box(page: Page, url: str, paste: str) -> Locator:
    """Paste `paste` into the paste box at `url`, submit, and return the first result once it shows."""
    page.goto(url)
    page.fill("#paste-input", paste)
    page.click("#paste-form button[type=submit]")
    first = page.locator("#paste-results li.result").first
    first.wait_for(timeout=20000)
    return first


def test_pasted_error_finds_the_runbook_offline(page: Page, served_site: str) -> None:
    console = Console(page)
    paste = _example("circuit-breaker-overflow")
    expected = kb.match(paste).results[0].runbook.id
    assert expected == "circuit-breaker-overflow"
    first = paste_into_the_box(page, served_site + "index.html", paste)
    assert first.get_attribute("data-id") == expected
    assert page.get_attribute("#paste-results", "data-mode") == "offline"
    assert "Offline mode" in page.inner_text("#paste-mode")
    first.locator("h3 a").click()
    page.wait_for_load_state()
    assert page.url == f"{served_site}runbooks/{expected}.html"
    assert console.errors == []


def dev_cases() -> list[dict[str, Any]]:
    return list(yaml.safe_load(DEV_CASES.read_text(encoding="utf-8")))


def load_offline_matcher(page: Page, served_site: str) -> None:
    """The home page's offline matcher, loaded and kept as `window.kbTestMatcher`."""
    page.goto(served_site + "index.html")
    page.evaluate("window.kbOffline.matcher().then(m => { window.kbTestMatcher = m; })")
    page.wait_for_function("window.kbTestMatcher !== undefined", timeout=30000)


def field_cases() -> list[dict[str, Any]]:
    return list(yaml.safe_load((REPO / "eval" / "field.yaml").read_text(encoding="utf-8"))["cases"])


@pytest.mark.parametrize("corpus", [dev_cases, field_cases], ids=["dev", "field"])
def test_offline_matcher_agrees_with_kb_match(page: Page, served_site: str, corpus: Any) -> None:
    """Top-1 agreement (not accuracy) on every dev (and field) case: the browser's matcher against the Python
    one, and with the same confidence (the clear-winner, not-a-mesh and ambient rules are in both)."""
    cases = corpus()
    texts = [case["text"] for case in cases]
    load_offline_matcher(page, served_site)
    browser_top = page.evaluate(
        "ts => ts.map(t => { const r = window.kbTestMatcher.match(t, 5).results;"
        " return r.length ? [r[0].id, r[0].confidence] : [null, null]; })",
        texts,
    )
    python_top = [next(([r.runbook.id, r.confidence.value] for r in kb.match(text).results), [None, None])
                  for text in texts]  # fmt: skip
    agreed = sum(a[0] == b[0] for a, b in zip(browser_top, python_top, strict=True))
    confident = sum(a == b for a, b in zip(browser_top, python_top, strict=True))
    print(f"offline/python top-1 agreement: {agreed}/{len(cases)} = {agreed / len(cases):.3f}; "
          f"with the same confidence: {confident}/{len(cases)} = {confident / len(cases):.3f}")  # fmt: skip
    assert agreed / len(cases) >= AGREEMENT and confident / len(cases) >= AGREEMENT


def test_offline_matcher_fills_placeholders_like_kb_match(page: Page, served_site: str) -> None:
    """On every dev case the browser finds kb.match's entities, and where both rank the same runbook first they
    show the same commands: the matched cause's step first, `$NAMESPACE`-style placeholders filled and quoted."""
    cases = dev_cases()
    texts = [case["text"] for case in cases]
    load_offline_matcher(page, served_site)
    browser = page.evaluate(
        "ts => ts.map(t => { const r = window.kbTestMatcher.match(t, 5);"
        " return {entities: r.entities, top: r.results.length ? [r.results[0].id, r.results[0].commands] : null}; })",
        texts,
    )
    python = [kb.match(text).to_json() for text in texts]
    assert [b["entities"] for b in browser] == [p["entities"] for p in python]
    assert sum(bool(p["entities"]) for p in python) >= 15  # 20 of the 62 name a namespace, pod, host...
    both = [(b["top"], p["results"][0]) for b, p in zip(browser, python, strict=True)
            if b["top"] and p["results"] and b["top"][0] == p["results"][0]["id"]]  # fmt: skip
    assert len(both) >= AGREEMENT * len(cases)
    assert [(top[0], top[1]) for top, _ in both] == [(result["id"], result["commands"]) for _, result in both]


def test_paste_box_shows_filled_commands_offline(page: Page, served_site: str) -> None:
    paste = _example("sidecar-egress-scope-missing-host")
    expected = kb.match(paste).to_json()["results"][0]
    assert expected["id"] == "sidecar-egress-scope-missing-host"
    filled = expected["commands"]["diagnosis"] + expected["commands"]["fix"]
    assert "kubectl get sidecars.networking.istio.io -n kubium -o yaml" in filled  # the paste's namespace
    first = paste_into_the_box(page, served_site + "index.html", paste)
    assert first.get_attribute("data-id") == expected["id"]
    shown = first.locator("pre code").all_inner_texts()
    assert "\n".join(shown).split("\n") == filled


def test_language_choice_persists(page: Page, served_site: str) -> None:
    console = Console(page)
    page.goto(served_site + "runbooks/route-not-found.html")
    english = kb.default_library().catalog.get("route-not-found").title
    assert page.get_attribute("html", "lang") == "en" and page.locator("h1").inner_text() == english
    page.click("#lang-toggle")
    page.wait_for_url("**/runbooks/route-not-found.html?lang=zh")
    shown_in_chinese(page, "route-not-found")
    page.goto(served_site + "runbooks/route-not-found.html")  # no ?lang=: the saved choice
    shown_in_chinese(page, "route-not-found")
    page.goto(served_site + "index.html")  # an English page: the saved choice sends the reader to Chinese
    page.wait_for_url("**/zh/index.html")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click(".card a >> nth=0")  # a Chinese list opens a runbook in Chinese
    page.wait_for_url("**/runbooks/*.html?lang=zh")
    assert page.get_attribute("html", "lang") == "zh-CN"
    opened = page.url.split("?")[0].rsplit("/", 1)[1].removesuffix(".html")
    page.click("#lang-toggle")
    page.wait_for_url("**/runbooks/*.html?lang=en")
    title = kb.default_library().catalog.get(opened).title
    assert page.get_attribute("html", "lang") == "en" and page.locator("h1").inner_text() == title
    page.goto(served_site + "zh/index.html")  # a Chinese page: the saved choice is English now
    page.wait_for_url(served_site + "index.html")
    assert page.get_attribute("html", "lang") == "en"
    # A link that asks for Chinese (a chat answer's) is the reader's choice from then on.
    page.goto(served_site + "runbooks/route-not-found.html?lang=zh#fix")
    shown_in_chinese(page, "route-not-found")
    page.click("#lang-toggle")  # the same section in the other language
    page.wait_for_url(served_site + "runbooks/route-not-found.html?lang=en#fix")
    page.goto(served_site + "runbooks/route-not-found.html?lang=zh")
    page.goto(served_site + "index.html")
    page.wait_for_url(served_site + "zh/index.html")
    assert console.errors == []


def test_offline_matcher_answers_a_paste_without_a_mesh_low(page: Page, served_site: str) -> None:
    """The not-a-mesh rule in the browser (matcher.js), on the pastes kb.match answers low (test_field.py)."""
    load_offline_matcher(page, served_site)
    confidences = page.evaluate("ts => ts.map(t => window.kbTestMatcher.match(t, 5).results.map(r => r.confidence))",
                                NO_MESH_PASTES)  # fmt: skip
    assert all(confidences) and {c for found in confidences for c in found} == {"low"}


AXE_PAGES = ["index.html", "runbooks/subset-no-healthy-upstream.html",
             "runbooks/subset-no-healthy-upstream.html?lang=zh", "reference/flags.html"]  # fmt: skip


@pytest.mark.parametrize("path", AXE_PAGES)
def test_no_serious_accessibility_violations(page: Page, served_site: str, path: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(served_site + path)
        results = Axe().run(page)
        bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert bad == [], (scheme, bad)


def test_screenshots(browser: Browser, served_site: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {SCREENSHOTS}")
    sizes = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
    for device, viewport in sizes.items():
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport=viewport, color_scheme=scheme)  # type: ignore[arg-type]
            page = context.new_page()
            console = Console(page)
            for name, path in (("home", "index.html"), ("runbook", "runbooks/subset-no-healthy-upstream.html"),
                               ("runbook-zh", "runbooks/subset-no-healthy-upstream.html?lang=zh")):  # fmt: skip
                page.goto(served_site + path)
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (device, name)
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{scheme}-{device}.png"))
            context.close()
            assert console.errors == []
