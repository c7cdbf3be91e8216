"""`kb site build`: load -> pages (rendered, then written by a process of their own) -> assets -> search index
-> sitemap.

Only this module, and the writer process it starts (writer.py), touch files. Output is self-contained (no CDN,
fonts or scripts from elsewhere), uses relative links so it works from file:// and any sub-path, and is
byte-identical when the runbooks are.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from kb_site.markdown import safe_url
from kb_site.pages import Page, Source, all_pages
from kb_site.search import Indexer
from kb_site.templates import RECORD, environment, render

import kb
from kb import KBError, Level, UsageError
from kb.library import Export, load_export
from kb.loader import collector_paused
from kb.offline import offline_data
from kb.reference import reference_table

STATIC = Path(__file__).resolve().parent / "static"
# The offline matcher's data is a script, not JSON: browsers refuse fetch() from file:// but run scripts.
OFFLINE_DATA = "assets/kb-offline-data.js"
PAGEFIND_DIR = "pagefind"
# Marks a directory as a site this builder wrote: only such a directory (or an empty one) is cleared.
MARKER = ".kb-site"


@dataclass(frozen=True)
class Options:
    runbooks_dir: Path
    out: Path
    base_url: str | None = None
    repo_url: str | None = None
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
    # Resumed only once `_build` has returned and freed the runbooks and pages: resumed earlier, the collector's
    # first pass would walk every object they hold (a quarter of a second for 1,000 runbooks).
    with collector_paused():
        return _build(options, progress)


def _build(options: Options, progress: Progress) -> Report:
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str, detail: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = now - started
        started = now
        progress(f"{name:<8} {detail}")

    with contextlib.ExitStack() as stack:
        # Pagefind indexes each page on another core as soon as it is rendered, while the build goes on.
        indexer = stack.enter_context(Indexer()) if options.search else None
        export = load(options)
        stage("load", f"{len(export.catalog)} runbooks")
        clear(options.out)
        writer = stack.enter_context(Writer(options.out))
        made = all_pages(sources(export, options.runbooks_dir), reference_table(export.catalog), options.repo_url)
        pages = render_all(made, options, len(export.catalog), writer, indexer)
        stage("render", f"{len(pages)} pages")
        # The writer goes on with the pages while the assets, the search index and the sitemap are made.
        write_assets(options.out, export)
        stage("assets", f"static files and {OFFLINE_DATA}")
        if indexer is not None:
            index = indexer.files()
            for path, content in sorted(index.items()):
                writer.write(f"{PAGEFIND_DIR}/{path}", content)
            stage("search", f"Pagefind index of {indexer.pages} pages in {len(index)} files in {PAGEFIND_DIR}/")
        writer.write("sitemap.xml", sitemap(pages, options.base_url))
        writer.close()
        stage("write", f"{writer.files} files, {writer.bytes / 1e6:.1f} MB, and sitemap.xml")
    size = sum(file.stat().st_size for file in options.out.rglob("*") if file.is_file())
    return Report(options.out, len(pages), len(export.catalog), size, seconds)


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


def load(options: Options) -> Export:
    """The runbooks and the index's term statistics; the search index itself is neither built nor opened."""
    export = load_export(options.runbooks_dir)
    errors = [str(problem) for problem in export.problems if problem.level is Level.ERROR]
    if errors:
        raise KBError(f"{len(errors)} problem(s) in the runbooks:\n" + "\n".join(errors))
    return export


def sources(export: Export, runbooks_dir: Path) -> list[Source]:
    base = runbooks_dir.resolve()
    found = []
    for runbook in export.catalog:
        path = export.catalog.path_of(runbook.id).resolve()
        relative = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        found.append(Source(runbook, relative))
    return found


def render_all(
    pages: Iterable[Page], options: Options, count: int, writer: Writer, indexer: Indexer | None
) -> list[Page]:
    """Render every page that is a file and hand it to `writer`; each searched page's record goes to `indexer`
    (when searching) as soon as the page is made, and the index is finished once the searched pages are done
    (they come first), so Pagefind builds it while the other pages are made. Returns the pages written."""
    env = environment()
    base_url = options.base_url.rstrip("/") + "/" if options.base_url else None
    site = {"version": kb.__version__, "count": count, "base_url": base_url}
    made = []
    for page in pages:
        if page.written:
            made.append(page)
            writer.write(page.path, render(env, page, site))
        if indexer is not None:
            if page.search:
                indexer.add(f"/{page.path}", render(env, page, site, RECORD))
            else:
                indexer.finish()
    return made


class Writer:
    """Writes the site's files (pages, then Pagefind's files and the sitemap), in the order given, in a process
    of its own (`kb_site.writer`) while the next ones are made.

    Creating thousands of files costs the kernel seconds. A thread would share the interpreter lock with the
    renderer, and after each system call it waits up to 5 ms for the lock: with 1,000 runbooks the renderer
    spent most of its stage blocked on the thread's full queue. Files go down a pipe instead; the writer
    process has a lock and, often, a core of its own. The first failure is raised by `close`.
    """

    def __init__(self, out: Path) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _stop())
        command = [sys.executable, "-m", "kb_site.writer", str(out)]
        pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": self._stderr}
        try:
            try:
                self._process = subprocess.Popen(command, **pipes, pipesize=_PIPE_BYTES)  # type: ignore[call-overload]
            except PermissionError:  # a system whose ceiling for pipes is lower: the default size works too
                self._process = subprocess.Popen(command, **pipes)  # type: ignore[call-overload]
        except OSError as exc:
            self._stderr.close()
            raise KBError(f"cannot write the site: cannot start the writer: {exc}") from None
        assert self._process.stdin is not None
        self._stdin = self._process.stdin
        self._broken = False
        self.bytes = self.files = 0

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *_: object) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._stop()

    def write(self, path: str, content: str | bytes) -> None:
        """Write `content` (text is written as UTF-8) to `path` under the output folder, in order."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        name = path.encode("utf-8")
        self.bytes += len(data)
        self.files += 1
        if self._broken:
            return
        try:
            self._stdin.write(b"%d %d\n%s" % (len(name), len(data), name))
            self._stdin.write(data)
        except OSError:  # the writer stopped; close() says why
            self._broken = True

    def close(self) -> None:
        """Wait for every file to be written; raise KBError if one could not be."""
        with contextlib.suppress(OSError):
            self._stdin.close()
        output = self._process.stdout.read() if self._process.stdout is not None else b""
        self._process.wait()
        try:
            error = json.loads(output)["error"]
        except (ValueError, KeyError, TypeError):
            self._stderr.seek(0)
            detail = self._stderr.read().decode("utf-8", "replace").strip()[-2000:]
            error = f"the writer stopped (exit code {self._process.returncode}): {detail or 'no message'}"
        finally:
            self._stop()
        if error is not None:
            raise KBError(f"cannot write the site: {error}")

    def _stop(self) -> None:
        self._process.wait()
        for stream in (self._stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if not self._stderr.closed:
            self._stderr.close()


# The pipe to the writer holds this much, so the renderer seldom waits for it (Linux's default ceiling for a
# pipe an unprivileged process may ask for).
_PIPE_BYTES = 1 << 20


def clear(out: Path) -> None:
    """Empty `out` (files left from an older build are removed) and mark it as this builder's."""
    if out.exists():
        for child in sorted(out.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("kb site build output; the next build replaces everything here\n", encoding="utf-8")


def write_assets(out: Path, export: Export) -> None:
    assets = out / "assets"
    shutil.copytree(STATIC, assets, dirs_exist_ok=True)
    data = json.dumps(offline_data(export), ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    # `</` cannot end the script early because the data is in its own file, but escape it anyway.
    data = data.replace("</", "<\\/")
    (out / OFFLINE_DATA).write_text(f"window.KB_OFFLINE={data};\n", encoding="utf-8")


def sitemap(pages: Sequence[Page], base_url: str | None) -> str:
    """sitemap.xml: absolute URLs when the base URL is known, else paths relative to the site root; a
    runbook's page is listed with its Chinese view (`?lang=zh`)."""
    base = base_url.rstrip("/") + "/" if base_url else ""
    paths = [page.path for page in pages if page.path != "404.html"]
    paths += [page.alternate for page in pages if page.bilingual and page.alternate]
    entries = "".join(f"  <url><loc>{escape(base + path)}</loc></url>\n" for path in sorted(paths))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )
