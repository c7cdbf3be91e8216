"""The Pagefind search index (the one module that runs Pagefind): pages in, the files of a `pagefind/` folder out.

Pagefind runs as a service (`pagefind --service`) fed each page's searchable part from memory, in path order,
while the rest of the build goes on: nothing is crawled from disk and nav or boilerplate is never parsed. The
service speaks base64 JSON messages ended by `,` on stdin and stdout. Its Python wrapper is not used: it
waits 0.1 s before reading each reply, minutes for a few thousand pages.
"""

from __future__ import annotations

import base64
import contextlib
import json
import queue
import re
import subprocess
import tempfile
import threading
from typing import IO, Any

from kb_site.pagefind_files import canonicalize

from kb import KBError
from kb.search import searchable_chinese

# The part of a page Pagefind indexes (its data-pagefind-body element) and the language of the page.
_BODY = re.compile(r"<article\b[^>]*\bdata-pagefind-body\b.*?</article>", re.DOTALL)
_LANG = re.compile(r'<html lang="([^"]+)"')
TIMEOUT = 600


def searchable(html: str) -> tuple[str, str] | None:
    """(language, the page as Pagefind needs it: `<html lang>` and the data-pagefind-body element), or None
    when the page has no such element. Chinese records' text comes cut into words (see `chinese_words`)."""
    body, lang = _BODY.search(html), _LANG.search(html)
    if body is None or lang is None:
        return None
    language, text = lang.group(1), body.group(0)
    if language.lower().startswith("zh"):
        text = chinese_words(text)
    return language, f'<html lang="{language}"><head></head><body>{text}</body></html>'


# The element whose text is a result's title, and the text between tags.
_TITLE = re.compile(r'<h1 data-pagefind-meta="title">([^<]*)</h1>')
_BETWEEN_TAGS = re.compile(r">([^<]+)<")


def chinese_words(article: str) -> str:
    """The article with its Chinese cut into words, each followed by its endings, for Pagefind's index.

    Pagefind 1.5 cuts a Chinese query with the browser's segmenter (ICU), which splits words such as 熔断
    that its own indexer keeps whole, and every query word must begin an indexed word: 熔断 found nothing.
    It also left Chinese runs beside Latin text uncut (`disconnect）：调用方在响应返回之前断开了连接` was one
    word). Cut by kb beforehand, with each word's endings beside it, every finer cut of a word begins an
    indexed word. The title Pagefind shows is kept as written, in the meta attribute.
    """
    titled = _TITLE.sub(lambda m: f'<h1 data-pagefind-meta="title:{m[1]}">{m[1]}</h1>', article, count=1)
    return _BETWEEN_TAGS.sub(lambda m: f">{searchable_chinese(m[1])}<", titled)


class Indexer:
    """Pagefind indexing pages in the background, one service per page language, in the order pages are added.

    Pagefind makes one index per language anyway and its service handles one request at a time: a service
    per language indexes English and Chinese records on two cores, and their outputs share no index file.
    Use it as a context manager; `files` asks for the finished index, leaving the block stops the services.
    """

    def __init__(self) -> None:
        from pagefind.service import get_executable

        binary = get_executable()
        if binary is None:
            raise KBError("Pagefind is not installed: pip install 'pagefind[extended]'")
        self._binary = str(binary)
        self._services: dict[str, _Service] = {}
        self._finished = False

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *_: object) -> None:
        for service in self._services.values():
            service.close()

    @property
    def pages(self) -> int:
        """How many pages were handed to Pagefind."""
        return sum(service.added for service in self._services.values())

    def add(self, url: str, html: str) -> None:
        """Index the page at `url` (site-absolute, `/runbooks/x.html`) if it has a data-pagefind-body element."""
        if self._finished:
            raise KBError(f"page {url} came after the search index was finished")
        found = searchable(html)
        if found is None:
            return
        language, text = found
        if language not in self._services:
            self._services[language] = _Service(self._binary)
        self._services[language].add(url, text)

    def finish(self) -> None:
        """No more pages: Pagefind starts building the index (in the background; `files` collects it)."""
        if not self._finished:
            self._finished = True
            for service in self._services.values():
                service.ask_for_files()

    def files(self) -> dict[str, bytes]:
        """The finished index, canonical, by path inside the `pagefind/` folder. Raises KBError on any failure."""
        self.finish()
        entry: dict[str, Any] = {}
        merged: dict[str, bytes] = {}
        languages: dict[str, Any] = {}
        for language, service in sorted(self._services.items()):
            files = service.files()
            entry = json.loads(files.pop("pagefind-entry.json"))
            languages.update(entry["languages"])
            for name, content in files.items():
                if merged.setdefault(name, content) != content:
                    raise KBError(f"Pagefind wrote {name} differently for {language} than for another language")
        if not self._services:
            return {}
        merged["pagefind-entry.json"] = json.dumps(entry | {"languages": languages}).encode("utf-8")
        return canonicalize(merged)


class _Service:
    """One `pagefind --service` process with one index, fed from a writer thread and read by a reader thread.

    The index comes back in Pagefind's `GetFiles` reply instead of being written by Pagefind: the service
    answers `WriteFiles` before its last asynchronous file writes have landed, so a reader (or the end of the
    process) could meet an empty or truncated `pagefind-entry.json`. Here only kb's writer touches disk.
    """

    def __init__(self, binary: str) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        try:
            self._process = subprocess.Popen([binary, "--service"], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, stderr=self._stderr)  # fmt: skip
        except OSError as exc:
            self._stderr.close()
            raise KBError(f"Pagefind failed to run: {exc}") from None
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._replies: list[dict[str, Any]] = []
        self._sent = self.added = 0
        assert self._process.stdin is not None and self._process.stdout is not None
        self._writer = threading.Thread(target=self._send, args=(self._process.stdin,), daemon=True)
        self._reader = threading.Thread(target=self._receive, args=(self._process.stdout,), daemon=True)
        self._writer.start()
        self._reader.start()
        # The service's first index has id 0; its requests are answered in order, one at a time.
        self._request({"type": "NewIndex", "config": {}})

    def close(self) -> None:
        self._queue.put(None)
        self._process.kill()
        self._process.wait()
        self._writer.join(TIMEOUT)
        self._reader.join(TIMEOUT)  # it reads to the end of the dead service's output
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def add(self, url: str, text: str) -> None:
        self.added += 1
        self._request({"type": "AddFile", "index_id": 0, "url": url, "file_contents": text})

    def ask_for_files(self) -> None:
        self._request({"type": "GetFiles", "index_id": 0})
        self._queue.put(None)

    def files(self) -> dict[str, bytes]:
        """The reply to `ask_for_files`: the index's files by path. Raises KBError on any failure."""
        self._writer.join(TIMEOUT)
        self._reader.join(TIMEOUT)
        errors = [reply["payload"].get("message", "?") for reply in self._replies
                  if reply.get("payload", {}).get("type") == "Error"]  # fmt: skip
        if errors or len(self._replies) < self._sent:
            self._process.kill()
            self._process.wait()
            self._stderr.seek(0)
            detail = self._stderr.read().decode("utf-8", "replace").strip()[:2000]
            problem = "; ".join(dict.fromkeys(errors)) or detail or "it stopped before returning the index"
            raise KBError(f"Pagefind failed: {problem}")
        found = self._replies[-1]["payload"]["files"]
        return {file["path"]: base64.b64decode(file["content"]) for file in found}

    def _request(self, payload: dict[str, Any]) -> None:
        self._sent += 1
        self._queue.put({"message_id": self._sent, "payload": payload})

    def _send(self, stream: IO[bytes]) -> None:
        try:
            while (message := self._queue.get()) is not None:
                text = json.dumps(message, ensure_ascii=False).encode("utf-8")
                stream.write(base64.b64encode(text) + b",")
            stream.flush()
        except OSError:  # the service died; files() reports why
            pass

    def _receive(self, stream: IO[bytes]) -> None:
        pending: list[bytes] = []  # the unfinished message, in pieces (the index's reply is megabytes)
        while True:
            chunk = stream.read1(1 << 16)  # type: ignore[attr-defined]
            if not chunk:
                return
            *ends, rest = chunk.split(b",")
            for end in ends:
                message, pending = b"".join([*pending, end]), []
                if message:
                    self._replies.append(json.loads(base64.b64decode(message)))
            pending.append(rest)
            if ends and self._replies and self._replies[-1].get("payload", {}).get("type") == "GetFiles":
                return
