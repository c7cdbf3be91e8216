from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
RUNBOOKS = REPO / "runbooks"
# One index cache for every subprocess of the run, so tests never write to the user's ~/.cache.
CACHE = Path(tempfile.mkdtemp(prefix="kb-test-cache-"))


def run_kb(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m kb` as a subprocess, the way a user or a script would."""
    full_env = {key: value for key, value in os.environ.items() if key != "KB_RUNBOOKS"}
    full_env["KB_CACHE_DIR"] = str(CACHE)
    full_env.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "kb", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd or REPO,
        env=full_env,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


@pytest.fixture
def runbook_dir(tmp_path: Path) -> Callable[..., Path]:
    """A fresh runbooks directory holding copies of the named fixture files (`invalid/x.yaml`, ...)."""

    def make(*names: str) -> Path:
        root = tmp_path / "runbooks"
        (root / "area").mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy(DATA / name, root / "area" / Path(name).name)
        return root

    return make


# The built sites the site tests share (session-scoped: one build per run).
from tests.site_fixtures import hostile_site, real_site, served_site  # noqa: E402, F401
