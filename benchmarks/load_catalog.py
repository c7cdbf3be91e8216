"""How long loading and validating every runbook takes, against a bare `yaml.safe_load` of the same files.

The peer is the floor: PyYAML's pure-Python loader with no validation, line tracking or RE2 compilation.
Run: .venv/bin/python benchmarks/load_catalog.py [RUNBOOKS_DIR]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import yaml
from common import RUNBOOKS, argument, directory

from kb.loader import load_runbooks

ROUNDS = 15


def best_of(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    root = argument(__doc__, RUNBOOKS, directory)
    files = sorted(root.rglob("*.yaml"))
    ours = best_of(lambda: load_runbooks(root))
    peer = best_of(lambda: [yaml.safe_load(path.read_text(encoding="utf-8")) for path in files])
    print(f"runbooks: {len(files)}")
    print(f"kb load_runbooks (parse + lines + validate + lint): {ours * 1000:.1f} ms (median of {ROUNDS})")
    print(f"peer yaml.safe_load only (pure-Python reader):      {peer * 1000:.1f} ms")
    print(f"ratio kb / peer: {ours / peer:.2f}")


if __name__ == "__main__":
    main()
