"""Growth of `match` time with paste size, for every input kind: 1, 4 and 16 MB of each, and the 16 MB / 4 MB ratio.

An input kind is one extractor's golden inputs (tests/data/signal_cases.yaml) repeated to the size, plus
repeated `curl -I` output (the quadratic case of issue 15) and an ordinary application log. Linear work
gives a ratio near 4; the target is <= 5 for every kind (quadratic work gives ~16). The peer is the same
kind at 4 MB, measured in the same run. The extractors are taken from the registry, so new ones are covered.
Run: .venv/bin/python benchmarks/growth.py [--sizes 1,4,16] [--kinds envoy_headers,curl-I]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml
from common import REPO, RUNBOOKS, big_log

from kb.library import open_library
from kb.matcher import match
from kb.signals import EXTRACTORS

MB = 1 << 20
TARGET = 5.0
CURL_I = (
    "HTTP/1.1 503 Service Unavailable\ncontent-length: 19\ncontent-type: text/plain\n"
    "date: Thu, 14 Jun 2018 08:45:48 GMT\nserver: envoy\n\n"
)


def kinds() -> dict[str, str]:
    """Input kind -> one unit of its text, repeated to each size."""
    cases = yaml.safe_load((REPO / "tests" / "data" / "signal_cases.yaml").read_text(encoding="utf-8"))
    units = {
        extractor.name: "\n".join(c["text"].rstrip("\n") for c in cases if c["extractor"] == extractor.name) + "\n"
        for extractor in EXTRACTORS
    }
    return {**units, "curl-I": CURL_I, "app-log": big_log(64 * 1024)}


def sized(unit: str, size: int) -> str:
    return unit * max(size // len(unit), 1)


def seconds(action: object, text: str) -> float:
    start = time.perf_counter()
    action(text)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="sizes in MB, comma-separated (default 1,4,16)")
    parser.add_argument("--kinds", default="", help="only these kinds, comma-separated")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    wanted = set(filter(None, args.kinds.split(",")))
    with tempfile.TemporaryDirectory() as cache:
        library = open_library(RUNBOOKS, Path(cache))
        action = lambda text: match(text, library)  # noqa: E731
        action("warm up 503 UH")
        print(f"match seconds by paste size; ratio = largest / the size before (linear ~4, target <= {TARGET})")
        print(f"{'kind':<18}" + "".join(f"{f'{size} MB':>10}" for size in sizes) + f"{'ratio':>8}")
        worst = 0.0
        for name, unit in kinds().items():
            if wanted and name not in wanted:
                continue
            times = [seconds(action, sized(unit, size * MB)) for size in sizes]
            ratio = times[-1] / times[-2] if len(times) > 1 and times[-2] > 0 else float("nan")
            worst = max(worst, ratio)
            flag = "" if ratio <= TARGET else "  OVER TARGET"
            print(f"{name:<18}" + "".join(f"{t:>10.2f}" for t in times) + f"{ratio:>8.2f}{flag}", flush=True)
        print(f"worst ratio {worst:.2f} (target <= {TARGET})")
        library.close()


if __name__ == "__main__":
    main()
