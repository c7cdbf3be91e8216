"""`kb site build`: load -> pages -> render -> write -> assets -> search index -> sitemap.

Only this module touches files. Output is self-contained (no CDN, fonts or scripts from elsewhere), uses
relative links so it works from file:// and any sub-path, and is byte-identical when the runbooks are.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import escape

from kb_site.markdown import safe_url
from kb_site.pages import Page, Source, all_pages
from kb_site.templates import environment, render

import kb
from kb import KBError, Level, Library, UsageError, open_library
from kb.offline import offline_data
from kb.reference import reference_table

STATIC = Path(__file__).resolve().parent / "static"
# The offline matcher's data is a script, not JSON: browsers refuse fetch() from file:// but run scripts.
OFFLINE_DATA = "assets/kb-offline-data.js"
PAGEFIND_DIR = "pagefind"
PAGEFIND_TIMEOUT = 600
SEARCH_GLOB = "{runbooks,zh/runbooks}/*.html"
# Marks a directory as a site this builder wrote: only such a directory (or an empty one) is cleared.
MARKER = ".kb-site"


@dataclass(frozen=True)
class Options:
    runbooks_dir: Path
    out: Path
    base_url: str | None = None
    repo_url: str | None = None
    cache_dir: Path | None = None
    search: bool = True  # Pagefind's index; the benchmarks time the build with and without it


@dataclass(frozen=True)
class Report:
    out: Path
    pages: int
    runbooks: int
    bytes: int
    seconds: dict[str, float]

    def summary(self) -> str:
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.seconds.items())
        total = sum(self.seconds.values())
        return (f"built {self.pages} pages for {self.runbooks} runbooks into {self.out} "
                f"({self.bytes / 1e6:.1f} MB) in {total:.1f} s: {stages}")  # fmt: skip


Progress = Callable[[str], None]


def build(options: Options, progress: Progress = lambda _: None) -> Report:
    """Build the site into `options.out`; every problem is reported at once as one KBError."""
    check_options(options)
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str, detail: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = now - started
        started = now
        progress(f"{name:<8} {detail}")

    library = load(options)
    stage("load", f"{len(library.catalog)} runbooks")
    pages = all_pages(sources(library, options.runbooks_dir), reference_table(library.catalog), options.repo_url)
    stage("pages", f"{len(pages)} pages")
    html = render_all(pages, options, len(library.catalog))
    stage("render", f"{sum(len(text) for text in html.values()) / 1e6:.1f} MB of HTML")
    digest = pages_digest(html, options.search)
    kept = keep_search_index(options.out, digest)
    written = write_site(options.out, html, digest)
    stage("write", f"{written} files")
    write_assets(options.out, library)
    stage("assets", f"static files and {OFFLINE_DATA}")
    if kept is not None:
        kept.rename(options.out / PAGEFIND_DIR)
        stage("search", f"Pagefind index kept from the last build (same pages) in {PAGEFIND_DIR}/")
    elif options.search:
        index_search(options.out)
        stage("search", f"Pagefind index in {PAGEFIND_DIR}/")
    write_sitemap(options.out, pages, options.base_url)
    stage("sitemap", "sitemap.xml")
    size = sum(file.stat().st_size for file in options.out.rglob("*") if file.is_file())
    return Report(options.out, len(pages), len(library.catalog), size, seconds)


def check_options(options: Options) -> None:
    urls = (("base_url", options.base_url), ("repo_url", options.repo_url))
    problems = [
        f"--{name.replace('_', '-')} must be an http(s) URL, got {value!r}"
        for name, value in urls
        if value is not None and not (value.startswith(("http://", "https://")) and safe_url(value))
    ]
    if options.out.exists() and not options.out.is_dir():
        problems.append(f"--out {options.out} exists and is not a directory")
    elif options.out.is_dir() and any(options.out.iterdir()) and not (options.out / MARKER).exists():
        problems.append(f"--out {options.out} is not empty and holds no earlier site (no {MARKER} file)")
    if options.out.resolve() == options.runbooks_dir.resolve():
        problems.append("--out must not be the runbooks directory")
    if problems:
        raise UsageError("; ".join(problems))


def load(options: Options) -> Library:
    library = open_library(options.runbooks_dir, options.cache_dir)
    errors = [str(problem) for problem in library.problems if problem.level is Level.ERROR]
    if errors:
        raise KBError(f"{len(errors)} problem(s) in the runbooks:\n" + "\n".join(errors))
    return library


def sources(library: Library, runbooks_dir: Path) -> list[Source]:
    base = runbooks_dir.resolve()
    found = []
    for runbook in library.catalog:
        path = library.catalog.path_of(runbook.id).resolve()
        relative = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        found.append(Source(runbook, relative))
    return found


def render_all(pages: Sequence[Page], options: Options, count: int) -> dict[str, str]:
    env = environment()
    base_url = options.base_url.rstrip("/") + "/" if options.base_url else None
    site = {"version": kb.__version__, "count": count, "base_url": base_url}
    return {page.path: render(env, page, site) for page in pages}


def pages_digest(html: dict[str, str], search: bool) -> str:
    """A hash of every page and of Pagefind's version: equal digests mean an equal search index."""
    digest = hashlib.sha256(f"kb {kb.__version__} pagefind {_pagefind_version()} search {search}\n".encode())
    for path, text in sorted(html.items()):
        digest.update(f"{path}\n{len(text)}\n".encode())
        digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _pagefind_version() -> str:
    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "?"


def keep_search_index(out: Path, digest: str) -> Path | None:
    """Set the last build's Pagefind index aside when it indexed the same pages.

    Pagefind writes its filter files in hash-map order, so re-indexing identical pages changes bytes and
    file names; keeping the index makes a rebuild of unchanged runbooks byte-identical (and faster).
    """
    marker, index = out / MARKER, out / PAGEFIND_DIR
    try:
        same = marker.read_text(encoding="utf-8").split()[-1] == digest
    except (OSError, IndexError):
        return None
    if not same or not index.is_dir():
        return None
    aside = out.parent / f".{out.name}-pagefind-{os.getpid()}"
    shutil.rmtree(aside, ignore_errors=True)
    index.rename(aside)
    return aside


def write_site(out: Path, html: dict[str, str], digest: str) -> int:
    """Replace `out`'s content with the rendered pages (files left from an older build are removed)."""
    if out.exists():
        for child in sorted(out.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        f"kb site build output; the next build replaces everything here\n{digest}\n", encoding="utf-8"
    )
    for path, text in sorted(html.items()):
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return len(html)


def write_assets(out: Path, library: Library) -> None:
    assets = out / "assets"
    shutil.copytree(STATIC, assets, dirs_exist_ok=True)
    data = json.dumps(offline_data(library), ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # `</` cannot end the script early because the data is in its own file, but escape it anyway.
    data = data.replace("</", "<\\/")
    (out / OFFLINE_DATA).write_text(f"window.KB_OFFLINE={data};\n", encoding="utf-8")


def index_search(out: Path) -> None:
    """Pagefind's extended build (it segments Chinese) indexes every page; one index per `<html lang>`."""
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None:
        raise KBError("Pagefind is not installed: pip install 'pagefind[extended]'")
    # Only runbook pages are indexed (they carry data-pagefind-body); the glob spares Pagefind reading the
    # list pages, which repeat every runbook's card.
    command = [str(binary), "--site", str(out), "--output-subdir", PAGEFIND_DIR, "--glob", SEARCH_GLOB, "--silent"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=PAGEFIND_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KBError(f"Pagefind failed to run: {exc}") from None
    if done.returncode != 0:
        raise KBError(f"Pagefind failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[:2000]}")


def sitemap(pages: Sequence[Page], base_url: str | None) -> str:
    """sitemap.xml: absolute URLs when the base URL is known, else paths relative to the site root."""
    base = base_url.rstrip("/") + "/" if base_url else ""
    entries = "".join(f"  <url><loc>{escape(base + page.path)}</loc></url>\n"
                      for page in sorted(pages, key=lambda p: p.path) if page.path != "404.html")  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def write_sitemap(out: Path, pages: Sequence[Page], base_url: str | None) -> None:
    (out / "sitemap.xml").write_text(sitemap(pages, base_url), encoding="utf-8")
