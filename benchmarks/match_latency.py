"""Warm `match` latency for a 2 KB paste and a 1 MB log, against one plain whoosh BM25 query.

The peer is the plain query on the same index: every distinct word of the text OR-ed over the body field,
no signals, no signatures, no term selection. Targets: 2 KB p50 <= 15 ms and <= 3x the peer; 1 MB <= 1 s.
Run: .venv/bin/python benchmarks/match_latency.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import PASTE_2KB, RUNBOOKS, big_log, p50, timings

from kb.library import open_library
from kb.matcher import match


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        library = open_library(RUNBOOKS, Path(cache))
        for label, text, rounds in (("2 KB paste", PASTE_2KB, 200), ("1 MB log", big_log(1 << 20), 10)):
            ours = p50(timings(lambda text=text: match(text, library), rounds))
            peer = p50(timings(lambda text=text: library.index.plain_search(text, 10), rounds))
            print(f"{label} ({len(text):,} chars, {len(library.catalog)} runbooks, p50 of {rounds}):")
            print(f"  kb match:          {ours * 1000:8.2f} ms")
            print(f"  plain BM25 query:  {peer * 1000:8.2f} ms")
            print(f"  ratio kb / peer:   {ours / peer:8.2f}")
        library.close()


if __name__ == "__main__":
    main()
