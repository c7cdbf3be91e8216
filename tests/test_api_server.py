"""`kb serve` as a real process over HTTP (two workers on one prebuilt index), MCP through the SDK's client over
streamable HTTP and stdio, and hot reload under concurrent load."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kb_api.chatops import webhook
from mcp import Client, StdioServerParameters

from tests.api_helpers import UH_PASTE
from tests.conftest import REPO, RUNBOOKS


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(tmp: Path, *args: str, env: dict[str, str] | None = None, ready: bool = True, site: bool = False) -> Server:
    """`python -m kb serve` on a free port, once /readyz answers 200; without the docs site unless `site`."""
    port = free_port()
    if not site and "--site" not in args:
        args = ("--no-site", *args)
    log = tmp / f"serve-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")} | (env or {})
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "kb", "serve", "--port", str(port), *args],
            cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + (240 if site else 90)  # building the site first takes a while
    while time.monotonic() < deadline:
        assert process.poll() is None, server.stop()
        try:
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200 or not ready:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(server.stop())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two workers over a fresh cache: the index is built once by `kb serve`, before either starts."""
    tmp = tmp_path_factory.mktemp("serve")
    env = {"KB_CACHE_DIR": str(tmp / "cache"), "KB_WEBHOOK_SECRET": "hook-secret"}
    running = start(tmp, "--workers", "2", env=env)
    yield running
    log = running.stop()
    assert "Traceback" not in log, log


def test_http_answers_a_paste(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        result = http.post("/v1/match", json={"text": UH_PASTE}).json()["results"][0]
        assert result["id"] == "subset-no-healthy-upstream" and result["confidence"] == "high"
        plain = http.post("/v1/match", content=UH_PASTE, headers={"Content-Type": "text/plain"})
        assert plain.json()["results"][0]["id"] == "subset-no-healthy-upstream"
        assert http.get("/v1/search", params={"q": "子集 503"}).status_code == 200
        assert http.get("/v1/runbooks/route-not-found").json()["id"] == "route-not-found"
        assert http.post("/v1/match", content=b"\xff\xfe", headers={"Content-Type": "text/plain"}).status_code == 400
        body = json.dumps({"text": UH_PASTE}).encode()
        signed = {"X-KB-Signature": webhook.signature(body, "hook-secret"), "Content-Type": "application/json"}
        assert (
            http.post("/v1/chatops/webhook", content=body, headers=signed).json()["id"] == "subset-no-healthy-upstream"
        )
        assert http.post("/v1/chatops/slack", content=b"text=x").status_code == 404  # no secret: disabled


def test_workers_share_one_prebuilt_index(server: Server) -> None:
    facts = [httpx.get(f"{server.url}/readyz", timeout=5).json() for _ in range(12)]
    assert {f["built_in_process"] for f in facts} == {False}  # each worker opened the cache kb serve built
    assert len({f["content_hash"] for f in facts}) == 1
    cache = Path(server.log.parent / "cache")
    assert len(list(cache.glob("index-*"))) == 1 and not list(cache.glob(".build-*"))
    assert "index cached in" in server.log.read_text(encoding="utf-8")


def mcp_checks(target: str | StdioServerParameters) -> None:
    async def run() -> None:
        async with Client(target) as client:
            tools = {tool.name for tool in (await client.list_tools()).tools}
            assert tools == {"match_error", "search_runbooks", "get_runbook"}
            matched = await client.call_tool("match_error", {"text": UH_PASTE, "limit": 2})
            assert not matched.is_error
            report = matched.structured_content or json.loads(matched.content[0].text)  # type: ignore[union-attr]
            assert report["results"][0]["id"] == "subset-no-healthy-upstream" and len(report["results"]) == 2
            found = await client.call_tool("search_runbooks", {"query": "sidecar startup order", "limit": 3})
            assert "sidecar-startup-race" in json.dumps(found.structured_content or found.content[0].text)  # type: ignore[union-attr]
            runbook = await client.call_tool("get_runbook", {"id": "route-not-found"})
            assert "route-not-found" in json.dumps(runbook.structured_content)
            unknown = await client.call_tool("get_runbook", {"id": "route-not-fond"})
            assert unknown.is_error and "route-not-found" in unknown.content[0].text  # type: ignore[union-attr]
            resources = (await client.list_resources()).resources
            assert len(resources) > 50
            page = await client.read_resource("kb://runbooks/subset-no-healthy-upstream")
            assert page.contents[0].text.startswith('# 503 "no healthy upstream"')  # type: ignore[union-attr]

    asyncio.run(asyncio.wait_for(run(), timeout=60))


def test_mcp_over_streamable_http(server: Server) -> None:
    mcp_checks(f"{server.url}/mcp")


def test_mcp_over_stdio(server: Server) -> None:
    env = {"KB_CACHE_DIR": str(server.log.parent / "cache"), "PYTHONPATH": str(REPO)}
    mcp_checks(StdioServerParameters(command=sys.executable, args=["-m", "kb", "mcp"], env=env, cwd=REPO))


def test_hot_reload_under_load(tmp_path: Path) -> None:
    """Two workers under 4 clients: each change is built once, by kb serve itself (index and site), and every
    worker swaps to it; a broken runbook keeps the last good library in every worker; 0 failed requests."""
    runbooks = tmp_path / "runbooks"
    shutil.copytree(RUNBOOKS, runbooks)
    target = next(runbooks.rglob("route-not-found.yaml"))
    env = {"KB_CACHE_DIR": str(tmp_path / "cache"), "KB_RUNBOOKS": str(runbooks)}
    server = start(tmp_path, "--watch", "--workers", "2", env=env, site=True)
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()
    new_title = "Reloaded title for the test"

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                for response in (
                    http.post("/v1/match", json={"text": UH_PASTE}),
                    http.get("/v1/runbooks/route-not-found"),
                    http.get("/runbooks/route-not-found.html"),
                ):
                    answered[0] += 1
                    if response.status_code != 200:
                        failures.append(f"{response.status_code} {response.text[:200]}")

    def everywhere(path: str, check: Callable[[httpx.Response], bool]) -> bool:
        """True when 12 requests in a row (spread over both workers) all pass `check`."""
        return all(check(httpx.get(f"{server.url}{path}", timeout=10)) for _ in range(12))

    def wait_for(condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 120
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}\n{server.log.read_text()}"
            time.sleep(0.25)

    clients = [threading.Thread(target=load) for _ in range(4)]
    try:
        for client in clients:
            client.start()
        original = target.read_text(encoding="utf-8")
        lines = original.splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
        lines[at] = f"title: {new_title}\n"
        target.write_text("".join(lines), encoding="utf-8")
        wait_for(lambda: everywhere("/v1/runbooks/route-not-found", lambda r: r.json()["title"] == new_title),
                 "the edited runbook in every worker")  # fmt: skip
        wait_for(lambda: everywhere("/runbooks/route-not-found.html", lambda r: new_title in r.text),
                 "the rebuilt site in every worker")  # fmt: skip
        target.write_text(original.replace("kind: incident", "kind: [broken", 1), encoding="utf-8")
        wait_for(lambda: everywhere("/readyz", lambda r: r.status_code == 503), "the failed build in every worker")
        for _ in range(12):
            ready = httpx.get(f"{server.url}/readyz", timeout=10).json()
            assert any(p["path"].endswith("route-not-found.yaml") for p in ready["problems"]), ready
            assert ready["built_in_process"] is False and ready["generation"] == 3  # no worker built anything
        assert everywhere("/v1/runbooks/route-not-found", lambda r: r.json()["title"] == new_title)  # last good
        time.sleep(1)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
        log = server.stop()
    assert not failures, failures[:5]
    assert answered[0] > 20 and "Traceback" not in log
    # One build per change, made by kb serve itself: the edit, then the broken file.
    builds = [line for line in log.splitlines() if line.startswith("kb: runbooks changed: build")]
    assert len(builds) == 2, log
    assert builds[0].startswith("kb: runbooks changed: build 2 library") and "built the index" in builds[0]
    assert builds[1].startswith("kb: runbooks changed: build 3 failed: ") and "problem(s)" in builds[1]
    assert log.count("kb site: ") >= 2 and "the docs site was not rebuilt" not in log
