"""`kb serve` and `kb mcp`: run the app under uvicorn, or the MCP server over stdio.

Settings travel to uvicorn's worker processes as `KB_*` variables; the index cache is built once here, before
any worker starts, so N workers open one prebuilt index instead of racing to build N. With `--watch` this
process also watches the runbooks and builds each change once (`builds.py`); the workers follow its builds.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import kb

from . import builds
from .settings import ApiSettings
from .state import LibraryState

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def serve(host: str, port: int, workers: int, watch: bool, site: Path | None, runbooks_dir: Path,
          access_log: bool = False, site_builder: Callable[[Path], Path] | None = None) -> int:  # fmt: skip
    """Prebuild the index, then serve until interrupted; the exit code of the server.

    `site_builder` rebuilds the served site after a change (`--watch`); without it the site stays as it is.
    """
    import uvicorn

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    os.environ["KB_RUNBOOKS"] = str(runbooks_dir.resolve())
    os.environ["KB_WATCH"] = "1" if watch else "0"
    if site is not None:
        if not site.is_dir():
            raise kb.UsageError(f"site directory not found: {site}")
        os.environ["KB_SITE_DIR"] = str(site.resolve())
    settings = ApiSettings()
    library = prebuild(settings)
    cached = f"cached in {library.index_dir}" if library.index_dir else "in memory (each worker builds its own)"
    print(f"kb: {len(library.catalog)} runbooks, index {cached}", file=sys.stderr)
    print(f"kb: serving on http://{_url_host(host)}:{port}/  (API docs at /docs, MCP at /mcp)", file=sys.stderr)
    halt, scratch = _watch(settings, library, site, site_builder) if watch else (None, None)
    try:
        uvicorn.run("kb_api.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    access_log=access_log, log_level="info", timeout_graceful_shutdown=5)  # fmt: skip
    finally:
        if halt is not None:
            halt()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def _watch(settings: ApiSettings, library: kb.Library, site: Path | None,
           site_builder: Callable[[Path], Path] | None) -> tuple[Callable[[], None], Path]:  # fmt: skip
    """Start this process's builder and tell the workers (through KB_BUILD_FILE) where it publishes."""
    scratch = Path(tempfile.mkdtemp(prefix="kb-serve-"))
    path = scratch / "build.json"
    library_settings = settings.library_settings()
    builder = builds.Builder(library_settings.runbooks_dir, library_settings.cache_dir, path,
                             site_builder if site is not None else None, site)  # fmt: skip
    builder.first(library)
    os.environ["KB_BUILD_FILE"] = str(path)
    return builds.start(builder), scratch


def prebuild(settings: ApiSettings) -> kb.Library:
    """Open (building when stale) the index cache every worker will read."""
    library_settings = settings.library_settings()
    library = kb.open_library(library_settings.runbooks_dir, library_settings.cache_dir)
    if not len(library.catalog):
        raise kb.UsageError(f"no valid runbooks in {library_settings.runbooks_dir}; run `kb lint`")
    return library


def mcp_stdio(runbooks_dir: Path) -> int:
    """`kb mcp`: the MCP server over stdin/stdout (logs go to stderr: stdout is the protocol)."""
    from .mcp_server import run_stdio

    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    os.environ["KB_RUNBOOKS"] = str(runbooks_dir.resolve())
    state = LibraryState(ApiSettings().library_settings())
    if not state.load():
        raise kb.UsageError(state.failure)
    run_stdio(state)
    return 0


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
