"""Built sites shared by the site tests: the real library (with its Pagefind index) and the hostile fixture."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kb_site.build import Options, Report, build

from kb import bundled_runbooks_dir

HOSTILE = Path(__file__).parent / "data" / "site-hostile"
REPO_URL = "https://github.com/example/kb/edit/main/runbooks"


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Report]:
    out = tmp_path_factory.mktemp("site") / "out"
    options = Options(bundled_runbooks_dir(), out, repo_url=REPO_URL)
    return out, build(options)


@pytest.fixture(scope="session")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "out"
    build(Options(HOSTILE, out, search=False))
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # a static host refuses the paste box's API probe, as GitHub Pages does
        self.send_error(405)


@pytest.fixture(scope="session")
def served_site(real_site: tuple[Path, Report]) -> Iterator[str]:
    """The real site on a plain static HTTP server (no API): the paste box must work offline."""
    handler = functools.partial(_Quiet, directory=str(real_site[0]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
