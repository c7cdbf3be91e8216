"""Cold `kb match` end to end (a new process, index already cached) against `python -c 'import whoosh.index'`.

The peer is the floor any whoosh-based tool pays before it can answer. Target: kb match <= 0.8 s.
Run: .venv/bin/python benchmarks/cold_start.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from common import PASTE_2KB, p50

ROUNDS = 7


def wall(command: list[str], stdin: bytes | None, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    # 0 = answered, 1 = no confident match; anything else means kb failed and the time means nothing.
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return elapsed


# What rich adds to a `kb match` that prints a page: the modules the page's table and colour import, timed in a
# process that has already imported kb.cli and the matcher (so modules both need are not charged to rich).
# (-X importtime over-counts: it adds its own cost per import and charges rich for stdlib modules it loads first.)
RICH_COST = (
    "import kb.cli, kb.matcher, time; t = time.perf_counter(); "
    "import rich.console, rich.table, rich.text, rich.style, rich.color; "
    "print((time.perf_counter() - t) * 1000)"
)


def rich_import_ms(env: dict[str, str]) -> float:
    """Milliseconds a fresh kb process spends importing rich for a page (issue 10 allows it 50 ms)."""
    done = subprocess.run([sys.executable, "-c", RICH_COST], capture_output=True, text=True, env=env, check=True)
    return float(done.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "KB_CACHE_DIR": cache}
        match = [sys.executable, "-m", "kb", "match"]
        built = wall(match, PASTE_2KB.encode(), env)  # the first run builds and caches the index
        ours = p50([wall(match, PASTE_2KB.encode(), env) for _ in range(ROUNDS)])
        peer = p50([wall([sys.executable, "-c", "import whoosh.index"], None, env) for _ in range(ROUNDS)])
        rich_ms = p50([rich_import_ms(env) for _ in range(ROUNDS)])
    print(f"first kb match (builds the index):      {built:.3f} s")
    print(f"kb match, cached index (p50 of {ROUNDS}):     {ours:.3f} s")
    print(f"python -c 'import whoosh.index' (p50):   {peer:.3f} s")
    print(f"ratio kb / peer: {ours / peer:.2f}")
    print(
        f"rich's imports for a kb match page (p50, fresh processes): {rich_ms:.0f} ms (target <= 50 ms), "
        f"{rich_ms / 1000 / ours:.0%} of a cached kb match"
    )


if __name__ == "__main__":
    main()
