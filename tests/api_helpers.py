"""Shared by the API tests: an app over the bundled runbooks, loaded before the first request, with a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from kb_api import ApiSettings, create_app

from tests.conftest import CACHE

# 2023-11-14T22:13:20Z: every signed request in the tests is dated around this instant.
NOW = 1_700_000_000
UH_PASTE = (
    '[2024-11-22T07:19:31.472Z] "GET / HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/7.74.0" '
    '"19603cb9" "node-service" "-" outbound|80|v1|node-service.default.svc.cluster.local'
)


@contextmanager
def api_client(**settings: Any) -> Iterator[TestClient]:
    """A TestClient over a loaded library; `settings` are ApiSettings fields (secrets, site_dir, max_body...)."""
    app = create_app(ApiSettings(cache_dir=str(CACHE), **settings))
    assert app.state.kb.load()
    app.state.clock = lambda: float(NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
