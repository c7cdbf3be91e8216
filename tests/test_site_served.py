"""`kb serve` with no options serves the docs site at `/` and the API under `/v1`, and the paste box on that
site answers through POST /v1/match, in a real headless browser."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

import kb
from tests.test_api_server import Server, start

# The site's browser fixture: one chromium for the module, launched the same way.
from tests.test_site_browser import Console, browser, paste_into_the_box  # noqa: F401


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("served-site")
    server = start(tmp, env={"KB_CACHE_DIR": str(tmp / "cache")}, site=True)
    yield server
    server.stop()


def test_kb_serve_builds_the_site_and_serves_it_at_the_root(served: Server) -> None:
    home = httpx.get(served.url + "/", timeout=10)
    assert home.status_code == 200 and "paste-input" in home.text
    assert httpx.get(served.url + "/runbooks/subset-no-healthy-upstream.html", timeout=10).status_code == 200
    assert httpx.get(served.url + "/v1/runbooks/subset-no-healthy-upstream", timeout=10).status_code == 200
    assert "kb site:" in served.log.read_text(encoding="utf-8")  # the build said what it was doing


def test_the_paste_box_answers_through_kb_serve(served: Server, browser: Browser) -> None:  # noqa: F811 (the fixture)
    paste = kb.default_library().catalog.get("circuit-breaker-overflow").examples[0].text
    expected = kb.match(paste).results[0].runbook.id
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    console = Console(page)
    first = paste_into_the_box(page, served.url + "/", paste)
    assert first.get_attribute("data-id") == expected
    assert page.get_attribute("#paste-results", "data-mode") == "online"
    assert "Matched by kb serve" in page.inner_text("#paste-mode")
    assert console.errors == []
    page.context.close()
