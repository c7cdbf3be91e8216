"""`kb serve --watch` with workers: the supervisor's Builder builds each change once and publishes it; each worker's
LibraryState adopts what was published without building, and keeps the last good library over a failed build."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from kb_api.builds import Build, Builder, publish, published
from kb_api.state import LibraryState

import kb

from .conftest import RUNBOOKS


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    """Two valid runbooks on their own (their `related` ids point outside the pair, so they are dropped)."""
    root = tmp_path / "runbooks"
    root.mkdir()
    for name in ("subset-no-healthy-upstream", "route-not-found"):
        document = yaml.safe_load(next(RUNBOOKS.rglob(f"{name}.yaml")).read_text(encoding="utf-8"))
        document.pop("related", None)
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)
        (root / f"{name}.yaml").write_text(text, encoding="utf-8")
    assert not kb.load_runbooks(root).errors
    return root


def retitle(path: Path, title: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[at] = f"title: {title}\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_one_build_per_change_and_workers_only_open_it(runbooks: Path, tmp_path: Path) -> None:
    cache, path = tmp_path / "cache", tmp_path / "build.json"
    sites: list[Path] = []

    def build_site(directory: Path) -> Path:
        site = tmp_path / f"site-{len(sites)}"
        site.mkdir()
        sites.append(site)
        return site

    builder = Builder(runbooks, cache, path, build_site, tmp_path / "site-start")
    first = builder.first(kb.open_library(runbooks, cache))
    assert published(path) == first and first.generation == 1 and first.index_dir
    worker = LibraryState(kb.Settings(runbooks_dir=runbooks, cache_dir=cache))
    assert worker.adopt(first) and worker.library is not None and not worker.library.built

    retitle(runbooks / "route-not-found.yaml", "Retitled once")
    second = builder.rebuild()
    assert second.generation == 2 and second.index_dir != first.index_dir and second.site_dir == str(sites[0])
    assert worker.adopt(second) and worker.library.catalog.get("route-not-found").title == "Retitled once"
    assert not worker.library.built and worker.readiness()[1]["generation"] == 2 and worker.reloads == 1

    good = (runbooks / "route-not-found.yaml").read_text(encoding="utf-8")
    (runbooks / "route-not-found.yaml").write_text("id: route-not-found\nkind: [broken\n", encoding="utf-8")
    third = builder.rebuild()
    assert third.failure and third.problems and third.index_dir == second.index_dir  # the last good build
    assert len(sites) == 1  # a failed build builds no site
    assert not worker.adopt(third)
    ready, facts = worker.readiness()
    assert not ready and facts["problems"] and worker.library.catalog.get("route-not-found").title == "Retitled once"

    late = LibraryState(kb.Settings(runbooks_dir=runbooks, cache_dir=cache))  # a worker (re)started now
    late.adopt(published(path))  # type: ignore[arg-type]
    assert late.library is not None and late.library.catalog.get("route-not-found").title == "Retitled once"
    assert not late.readiness()[0] and not late.library.built

    retitle(runbooks / "subset-no-healthy-upstream.yaml", "Fixed again")
    (runbooks / "route-not-found.yaml").write_text(good, encoding="utf-8")
    fourth = builder.rebuild()
    assert not fourth.failure and worker.adopt(fourth) and worker.readiness()[0]
    for n in range(2):  # sites two changes old are deleted; the newest two stay
        retitle(runbooks / "subset-no-healthy-upstream.yaml", f"Again {n}")
        builder.rebuild()
    assert [site.exists() for site in sites] == [False, False, True, True]


def test_published_is_none_until_a_whole_build_is_there(tmp_path: Path) -> None:
    path = tmp_path / "build.json"
    assert published(path) is None
    path.write_text("{not json", encoding="utf-8")
    assert published(path) is None
    publish(path, Build(7, "abc", None, None, "", []))
    assert published(path) == Build(7, "abc") and [p.name for p in tmp_path.iterdir()] == ["build.json"]


def test_without_a_shared_cache_each_worker_loads_on_its_own(runbooks: Path, tmp_path: Path) -> None:
    worker = LibraryState(kb.Settings(runbooks_dir=runbooks, cache_dir=None))
    assert worker.adopt(Build(1, "abc", index_dir=None)) and worker.library is not None and worker.library.built


def test_an_app_served_without_kb_serve_watches_on_its_own(runbooks: Path, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from kb_api import ApiSettings, create_app

    app = create_app(ApiSettings(runbooks=runbooks, cache_dir=str(tmp_path / "cache"), watch=True))
    with TestClient(app) as client:
        assert client.get("/readyz").json().get("generation") is None  # no supervisor to follow
        retitle(runbooks / "route-not-found.yaml", "Watched by the app itself")
        deadline = time.monotonic() + 60
        while client.get("/v1/runbooks/route-not-found").json()["title"] != "Watched by the app itself":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert client.get("/readyz").json()["reloads"] == 1
