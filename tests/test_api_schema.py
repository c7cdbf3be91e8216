"""A bounded schemathesis run against /openapi.json: no 500s, and every response matches its documented schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from kb_api import ApiSettings, create_app

from tests.conftest import CACHE

app = create_app(ApiSettings(cache_dir=str(CACHE), webhook_secret="schema-test"))
assert app.state.kb.load()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate()
