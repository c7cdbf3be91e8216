"""The HTTP API through TestClient: every endpoint, every error status, one problem body, hostile bodies."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kb_api import ApiSettings, create_app

from tests.api_helpers import UH_PASTE, api_client
from tests.conftest import CACHE, run_kb

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with api_client(max_body=64 * 1024) as client:
        yield client


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["type"] == "about:blank" and body["title"] and body["detail"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    facts = ready.json()
    assert facts["ready"] is True and facts["runbooks"] > 50 and len(facts["content_hash"]) == 24
    assert facts["index_age_seconds"] >= 0


def test_not_ready_is_503_with_the_failure(tmp_path: Path) -> None:
    app = create_app(ApiSettings(runbooks=tmp_path / "missing", cache_dir="off"))
    with TestClient(app) as client:
        app.state.kb.load()
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "runbooks directory not found" in ready.json()["failure"]
        body = assert_problem(client.post("/v1/match", json={"text": UH_PASTE}), 503)
        assert "runbooks directory not found" in str(body["detail"])


def test_list_filters_and_pages(client: TestClient) -> None:
    everything = client.get("/v1/runbooks").json()
    assert everything["total"] == len(everything["items"]) > 50
    gateway = client.get("/v1/runbooks", params={"component": "gateway", "kind": "incident"}).json()
    assert gateway["items"] and all("gateway" in r["components"] and r["kind"] == "incident" for r in gateway["items"])
    high = client.get("/v1/runbooks", params={"severity": "high"}).json()["items"]
    assert high and {r["severity"] for r in high} == {"high"}
    tagged = client.get("/v1/runbooks", params={"tag": "mtls"}).json()["items"]
    assert tagged and all("mtls" in r["tags"] for r in tagged)
    page = client.get("/v1/runbooks", params={"offset": 2, "limit": 3}).json()
    assert [r["id"] for r in page["items"]] == [r["id"] for r in everything["items"][2:5]]
    assert page["total"] == everything["total"]
    assert_problem(client.get("/v1/runbooks", params={"component": "nope"}), 422)
    assert_problem(client.get("/v1/runbooks", params={"limit": 0}), 422)


def test_runbook_as_json_and_markdown(client: TestClient) -> None:
    shown = run_kb("show", "subset-no-healthy-upstream", "--json")
    assert client.get("/v1/runbooks/subset-no-healthy-upstream").json() == json.loads(shown.stdout)
    page = client.get("/v1/runbooks/subset-no-healthy-upstream", headers={"Accept": "text/markdown"})
    assert page.headers["content-type"].startswith("text/markdown")
    assert page.text.startswith('# 503 "no healthy upstream" (UH)') and "## Diagnosis" in page.text
    assert "```sh" in page.text and "## References" in page.text


def test_unknown_runbook_names_the_closest(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/runbooks/subset-no-healthy"), 404)
    assert body["runbook_id"] == "subset-no-healthy"
    assert "subset-no-healthy-upstream" in body["suggestions"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("sidecar startup order", "sidecar-startup-race"), ("子集 503 no healthy upstream", "subset-no-healthy-upstream")],
)
def test_search_in_english_and_chinese(client: TestClient, query: str, expected: str) -> None:
    hits = client.get("/v1/search", params={"q": query, "limit": 5}).json()
    assert expected in [hit["id"] for hit in hits[:3]] and len(hits) <= 5
    assert {"id", "title", "title_zh", "summary", "score", "confidence"} == set(hits[0])


def test_search_needs_words(client: TestClient) -> None:
    assert_problem(client.get("/v1/search"), 422)
    assert_problem(client.get("/v1/search", params={"q": "   "}), 422)


def test_match_is_exactly_kb_match_json(client: TestClient) -> None:
    cli = json.loads(run_kb("match", "--json", "--limit", "3", stdin=UH_PASTE.encode()).stdout)
    as_json = client.post("/v1/match", json={"text": UH_PASTE, "limit": 3})
    as_text = client.post("/v1/match", content=UH_PASTE, headers={"Content-Type": "text/plain; charset=utf-8"})
    assert as_json.json() == cli
    assert as_text.json() == json.loads(run_kb("match", "--json", stdin=UH_PASTE.encode()).stdout)
    assert cli["results"][0]["id"] == "subset-no-healthy-upstream" and cli["results"][0]["confidence"] == "high"


@pytest.mark.parametrize("section", ["flags", "details", "ports"])
def test_reference_sections(client: TestClient, section: str) -> None:
    rows = client.get(f"/v1/reference/{section}").json()
    assert rows == json.loads(run_kb("reference", section, "--json").stdout)


def test_reference_unknown_section(client: TestClient) -> None:
    assert_problem(client.get("/v1/reference/colours"), 422)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"", "application/json", 422),
        (b"   \n", "text/plain", 422),
        (b'{"text": ""}', "application/json", 422),
        (b'{"text": "   "}', "application/json", 422),
        (b'{"text": 5}', "application/json", 422),
        (b'{"text": "x", "limit": 0}', "application/json", 422),
        (b'{"text": "x", "extra": 1}', "application/json", 422),
        (b"[1, 2]", "application/json", 422),
        (b'{"text": "503 UH"', "application/json", 422),
        (b"\xff\xfe503 UH", "text/plain", 400),
        (b'{"text": "\xc3\x28 UH"}', "application/json", 400),
        (b'{"text": "\\ud800 UH"}', "application/json", 400),
        (b"\x00\x01\x02\x03" * 64, "text/plain", 422),
        (b'{"text": "log\\u0000line"}', "application/json", 422),
        ("\ufffd".encode() * 100 + b" UH", "text/plain", 400),
    ],
)
def test_match_refuses_bad_bodies(client: TestClient, body: bytes, content_type: str, status: int) -> None:
    assert_problem(client.post("/v1/match", content=body, headers={"Content-Type": content_type}), status)


def test_body_over_the_limit_is_413_before_it_is_read(client: TestClient) -> None:
    big = b"503 UH\n" * 20_000  # 140 KB against this app's 64 KiB limit
    assert_problem(client.post("/v1/match", content=big, headers={"Content-Type": "text/plain"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the stream is counted as it arrives
        yield from (big[i : i + 8192] for i in range(0, len(big), 8192))

    assert_problem(client.post("/v1/match", content=chunks(), headers={"Content-Type": "text/plain"}), 413)


def test_unknown_route_and_wrong_method(client: TestClient) -> None:
    assert "no such endpoint" in str(assert_problem(client.get("/v1/nothing-here"), 404)["detail"])
    assert_problem(client.delete("/v1/match"), 405)
    assert_problem(client.get("/v1/match"), 405)


def test_root_leads_to_the_api_docs(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/docs"
    spec = client.get("/openapi.json").json()
    assert {"/v1/match", "/v1/search", "/v1/runbooks", "/v1/runbooks/{runbook_id}", "/healthz", "/readyz"} <= set(
        spec["paths"]
    )
    assert "text/plain" in spec["paths"]["/v1/match"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200


def test_site_is_served_at_root_after_the_api(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<h1>kb docs</h1>", encoding="utf-8")
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "index.html").write_text("<h1>all runbooks</h1>", encoding="utf-8")
    with api_client(site_dir=tmp_path) as client:
        assert client.get("/").text == "<h1>kb docs</h1>"
        assert client.get("/runbooks/").text == "<h1>all runbooks</h1>"
        assert client.get("/healthz").json() == {"status": "ok"}  # API routes win over the site
        assert client.get("/no-such-page").status_code == 404


def test_hostile_bodies_never_500(client: TestClient) -> None:
    deep = "[" * 1000 + "]" * 1000
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n' + "c: [*b,*b,*b]\n" * 50
    bodies = [
        (b"", "application/json"),
        (bytes(range(256)) * 16, "application/octet-stream"),
        (b"\xc0\xaf\xed\xa0\x80 invalid utf-8", "text/plain"),
        (b'{"text": "\\ud800\\udfff\\ud800"}', "application/json"),
        (deep.encode(), "application/json"),
        (json.dumps({"text": deep}).encode(), "application/json"),
        (b'{"text": ' * 1000 + b'"x"' + b"}" * 1000, "application/json"),
        (b"x" * (64 * 1024 + 1), "text/plain"),
        (bomb.encode(), "text/plain"),
        (json.dumps({"text": bomb}).encode(), "application/json"),
    ]
    for body, content_type in bodies:
        response = client.post("/v1/match", content=body, headers={"Content-Type": content_type})
        assert response.status_code < 500, (body[:40], response.status_code)
        assert response.status_code == 200 or response.headers["content-type"] == PROBLEM


def test_a_bug_is_a_500_problem_without_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from kb_api.routes import match

    def broken(*args: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(match, "match_json", broken)
    with api_client() as client, caplog.at_level(logging.INFO):
        body = assert_problem(client.post("/v1/match", json={"text": UH_PASTE}), 500)
    assert "secret internals" not in json.dumps(body)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "internal error on POST /v1/match: RuntimeError" in logged and "Traceback" not in logged
    assert not any(r.exc_info for r in caplog.records)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KB_MAX_BODY", "1234")
    monkeypatch.setenv("KB_SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("KB_CACHE_DIR", "off")
    monkeypatch.setenv("KB_RUNBOOKS", str(tmp_path))
    settings = ApiSettings()
    assert settings.max_body == 1234 and settings.slack_signing_secret == "s3cret"
    assert settings.library_settings().cache_dir is None and settings.library_settings().runbooks_dir == tmp_path
    assert CACHE.is_dir()


def test_api_imports_kb_and_never_the_site() -> None:
    import ast

    api_dir = Path(__file__).resolve().parent.parent / "api"
    for source in api_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not any(name.split(".")[0] in {"kb_site", "site"} for name in names), source
            # The API uses kb's public surface (`import kb`) only, never its modules.
            assert not any(name.startswith("kb.") for name in names), (source, names)


def test_every_endpoint_has_an_example(client: TestClient) -> None:
    def has_example(node: object) -> bool:
        if isinstance(node, dict):
            return bool({"example", "examples"} & set(node)) or any(has_example(v) for v in node.values())
        return isinstance(node, list) and any(has_example(v) for v in node)

    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            assert has_example(operation), (method, path)
