"""The distribution carries kb, the API and site packages, the runbooks and the schema, and works from a wheel."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, RUNBOOKS


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a clean copy of the tracked files, so stale build output cannot leak into it."""
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("mesh_kb-*.whl")
    return built


def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"kb/runbooks/{p.relative_to(RUNBOOKS).as_posix()}" for p in RUNBOOKS.rglob("*.yaml")}
    expected = {
        "kb/__init__.py",
        "kb/__main__.py",
        "kb/py.typed",
        "kb_api/__init__.py",
        "kb_site/__init__.py",
        "kb/runbooks/runbook.schema.json",
        *shipped,
    }
    assert expected <= names, expected - names
    assert {n for n in names if n.startswith("kb/runbooks/") and n.endswith(".yaml")} == shipped
    assert not any(name.startswith(("tests/", "site/", "api/")) for name in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Name: mesh-kb" in metadata
    assert "Requires-Dist: whoosh-reloaded" in metadata
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "kb = kb.cli:main" in entry_points


def test_installed_wheel_finds_its_bundled_runbooks(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if k != "KB_RUNBOOKS"}
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import kb, kb.cli; "
        "print(kb.__file__); sys.exit(kb.cli.main(['lint', '--strict']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert result.stdout.splitlines()[0] == str(target / "kb" / "__init__.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(list(RUNBOOKS.rglob('*.yaml')))} of" in result.stderr


def test_every_runbook_area_is_listed_as_a_package() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = {name.removeprefix("kb.runbooks.") for name in config["tool"]["setuptools"]["packages"]}
    areas = {path.name for path in RUNBOOKS.iterdir() if path.is_dir()}
    assert areas <= listed


def test_the_lock_is_current_with_pyproject() -> None:
    lock = (REPO / "scripts" / "constraints.txt").read_text(encoding="utf-8")
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from lock import DIGEST_PREFIX, dependency_digest
    finally:
        sys.path.remove(str(REPO / "scripts"))
    recorded = lock.splitlines()[0].removeprefix(DIGEST_PREFIX)
    assert recorded == dependency_digest(), "pyproject's dependencies changed: run python3 scripts/lock.py"


def test_the_lock_pins_every_dependency_within_its_range() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = dict(
        (canonicalize_name(name), version)
        for name, version in re.findall(
            r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "scripts" / "constraints.txt").read_text(), re.M
        )
    )
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in scripts/constraints.txt: run python3 scripts/lock.py"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name], str(requirement))


def test_the_readme_and_ci_install_from_the_lock() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in re.findall(r"```sh\n(.+?)\n```", readme):
        assert "pip install -q -c scripts/constraints.txt" in command, command
