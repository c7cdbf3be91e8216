"""Helpers shared by the benchmark scripts: timing and the pastes they match."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
RUNBOOKS = REPO / "runbooks"

_T = TypeVar("_T")


def argument(doc: str | None, default: _T, parse: Callable[[str], _T]) -> _T:
    """The script's one optional argument, parsed; `-h`/`--help` prints the script's docstring, and an argument
    that does not parse stops the script with a one-line error instead of a traceback."""
    if len(sys.argv) < 2:
        return default
    if sys.argv[1] in ("-h", "--help") or len(sys.argv) > 2:
        print((doc or "").strip())
        raise SystemExit(0 if sys.argv[1] in ("-h", "--help") else 2)
    try:
        return parse(sys.argv[1])
    except ValueError as exc:
        raise SystemExit(f"{Path(sys.argv[0]).name}: bad argument {sys.argv[1]!r} ({exc}); see --help") from None


def directory(text: str) -> Path:
    """A command-line argument naming a folder that exists."""
    if not Path(text).is_dir():
        raise ValueError("no such directory")
    return Path(text)


# A 2 KB paste: istio-agent and Envoy lines as an on-call engineer would copy them (SEEDS.md, seed 1).
# Lines of the seed write-ups and the formats' samples (SEEDS.md, MESH-FORMATS.md) repeated to ~2 KB.
_LINES = (
    "2021-03-26T02:34:36.874949Z\twarn\tcache\tresource:default request:c7349e97 CSR failed with error: rpc error: "
    'code = Unavailable desc = connection error: desc = "transport: Error while dialing dial tcp 10.96.5.249:15012: '
    'connect: connection refused", retry in 3200 millisec',
    "2021-03-26T02:34:36.875038Z\terror\tcitadelclient\tFailed to create certificate: rpc error: code = Unavailable "
    'desc = connection error: desc = "transport: Error while dialing dial tcp 10.96.5.249:15012: connect: connection '
    'refused"',
    "2020-10-14T21:41:36.766032Z\twarning\tenvoy config\tStreamAggregatedResources gRPC config stream closed: 14, "
    "upstream connect error or disconnect/reset before headers. reset reason: local reset",
    "2020-10-14T21:41:37.766032Z\twarning\tenvoy config\tStreamAggregatedResources gRPC config stream closed: 14, "
    "no healthy upstream",
    '[2022-03-01T08:00:00.000Z] "GET /review HTTP/1.1" 503 UH no_healthy_upstream - "-" 0 19 0 - "-" "curl/7.68.0" '
    '"5e1a0a3c-1b2d-4c5e-8f90-123456789abc" "review.example.com" "-" outbound|80|v1|review.review.svc.cluster.local - '
    "10.233.0.1:80 10.233.1.9:40000 - -",
    "2021-03-26T02:34:38.345529Z\tinfo\tEnvoy proxy is NOT ready: config not received from Pilot (is Pilot "
    "running?): cds updates: 0 successful, 0 rejected; lds updates: 0 successful, 0 rejected",
    'Failed calling webhook, failing open validation.istio.io: failed calling webhook "validation.istio.io": Post '
    "https://istiod.istio-system.svc:443/validate?timeout=30s: dial tcp 10.96.5.249:443: connect: connection refused",
    "Failed calling webhook, failing closed sidecar-injector.istio.io: failed calling webhook "
    '"sidecar-injector.istio.io": Post https://istiod.istio-system.svc:443/inject?timeout=30s: dial tcp '
    "10.96.5.249:443: connect: connection refused",
    "skipping server on gateway default/test2, duplicate host names: [test1.example.com]",
    "curl: (35) OpenSSL SSL_connect: Connection reset by peer",
)
PASTE_2KB = "\n".join(_LINES) + "\n"


def big_log(size: int) -> str:
    """About `size` bytes of ordinary application log with the 2 KB paste in the middle."""
    line = "2024-01-01T00:00:00.000000Z\tinfo\tapp\trequest {n} GET /api/v1/items served 200 in 3 ms by worker {w}\n"
    lines, used = [], 0
    n = 0
    while used < size:
        text = line.format(n=n, w=n % 7)
        lines.append(text)
        used += len(text)
        n += 1
    middle = len(lines) // 2
    return "".join(lines[:middle]) + PASTE_2KB + "".join(lines[middle:])


def timings(action: Callable[[], object], rounds: int) -> list[float]:
    """Seconds per call, `rounds` calls after one warm-up call."""
    action()
    result = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        result.append(time.perf_counter() - start)
    return result


def p50(values: list[float]) -> float:
    return statistics.median(values)
