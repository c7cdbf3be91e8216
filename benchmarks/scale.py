"""Index build time and match latency at 1,000 and 10,000 runbooks (synthetic copies of the real ones).

Each copy is a real runbook file with a new id (and file name), so loading, validation, indexing and
matching do the same work as for real runbooks. The peer for build is a plain whoosh index of the same
runbooks' full text, built in memory by one process (kb's build writes to disk and, from 2,000 runbooks,
uses two writer processes); the peer for matching is one plain BM25 query over that index.
Targets: 10,000 runbooks build <= 60 s, match p50 <= 150 ms.
Caveat: copies repeat the originals' signature patterns, and the Scorer keeps each distinct pattern once, so
the pattern filter stays at the real library's size. Measured apart with distinct copies (106,080 patterns),
kb.patterns.PatternSet took 10.8 s to build and 29 ms a 2 KB paste, on top of the figures printed here.
Run: .venv/bin/python benchmarks/scale.py [SIZES], e.g. `benchmarks/scale.py 1000,10000`
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

from common import PASTE_2KB, RUNBOOKS, argument, p50

from kb.documents import Document
from kb.evaluate import full_text
from kb.library import open_library
from kb.matcher import match
from kb.search import SearchIndex

ROUNDS = 20


def synthesize(target: Path, size: int) -> None:
    """`size` runbook files: the real ones, then copies named `<id>-copy-N`."""
    originals = sorted(RUNBOOKS.rglob("*.yaml"))
    (target / "area").mkdir(parents=True)
    (target / "runbook.schema.json").write_bytes((RUNBOOKS / "runbook.schema.json").read_bytes())
    for number in range(size):
        source = originals[number % len(originals)]
        text = source.read_text(encoding="utf-8")
        name = source.stem if number < len(originals) else f"{source.stem}-copy-{number}"
        text = re.sub(r"^id: .*$", f"id: {name}", text, count=1, flags=re.MULTILINE)
        (target / "area" / f"{name}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    sizes = argument(__doc__, [1000, 10000], lambda text: [int(n) for n in text.split(",")])
    for size in sizes:
        with tempfile.TemporaryDirectory() as work:
            root = Path(work) / "runbooks"
            synthesize(root, size)
            start = time.perf_counter()
            library = open_library(root, Path(work) / "cache")
            build = time.perf_counter() - start
            start = time.perf_counter()
            plain = SearchIndex.in_memory([Document(r.id, r.title, full_text(r), "", ()) for r in library.catalog])
            plain_build = time.perf_counter() - start
            texts = [PASTE_2KB] + [e.text for r in list(library.catalog)[:40] for e in r.examples[:1]]
            ours, peer = [], []
            for round_ in range(ROUNDS):
                text = texts[round_ % len(texts)]
                start = time.perf_counter()
                match(text, library)
                ours.append(time.perf_counter() - start)
                start = time.perf_counter()
                plain.plain_search(text, 10)
                peer.append(time.perf_counter() - start)
            print(f"{len(library.catalog):,} runbooks:")
            print(f"  build (load + validate + index): {build:7.1f} s   plain whoosh full-text index: "
                  f"{plain_build:6.1f} s   ratio {build / plain_build:.2f}")  # fmt: skip
            print(f"  match p50 over {ROUNDS} pastes:       {p50(ours) * 1000:7.1f} ms  plain BM25 query: "
                  f"{p50(peer) * 1000:6.1f} ms   ratio {p50(ours) / p50(peer):.2f}")  # fmt: skip
            library.close()
            plain.close()


if __name__ == "__main__":
    main()
