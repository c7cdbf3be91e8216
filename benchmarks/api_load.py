"""`POST /v1/match` under load: a 2 KB paste, 32 connections on 127.0.0.1, `wrk` as the load generator.

Measured in the same run: `kb serve` with 1 and 2 workers, the in-process `kb.match` rate on the same paste
(one core), and a trivial FastAPI endpoint taking the same 2 KB JSON under the same uvicorn. Targets:
throughput >= 80% of (workers x in-process rate), p99 <= 4x p50, 0 errors. wrk shares the machine's cores
with the server, as any load generator on one host does.
Needs wrk (Debian: apt-get install -y wrk).
Run: .venv/bin/python benchmarks/api_load.py [--seconds 30] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import PASTE_2KB, REPO, RUNBOOKS

import kb

CONNECTIONS = 32
BODY = json.dumps({"text": PASTE_2KB})


def trivial_app() -> Any:
    """The peer: a FastAPI endpoint that parses the same JSON body and answers at once."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, int]:
        return {"received": len(body.get("text", ""))}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass(frozen=True)
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def in_process_rate(library: kb.Library, seconds: float) -> float:
    """kb.match calls a second on one core, warm, on the benchmark paste."""
    kb.match(PASTE_2KB, library)
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        kb.match(PASTE_2KB, library)
        calls += 1
    return calls / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(command: list[str], port: int, ready_path: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2) as response:
                if response.status == 200:
                    time.sleep(1)  # let every worker finish starting
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"server did not become ready: {' '.join(command)}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(url: str, seconds: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.method = "POST"\nwrk.body = {json.dumps(BODY)}\n')
        script.write('wrk.headers["Content-Type"] = "application/json"\n')
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name, url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script.name)
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
                _ms(out, "50%"), _ms(out, "99%"), errors)  # fmt: skip


def _ms(out: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load per run (default 30)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (default 1,2)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    with tempfile.TemporaryDirectory() as cache:
        library = kb.open_library(RUNBOOKS, Path(cache))
        env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")} | {"KB_CACHE_DIR": cache}
        for workers in (int(w) for w in args.workers.split(",")):
            # Measured again before each run: the machine's other load changes between runs.
            rate = in_process_rate(library, min(args.seconds, 10))
            port = free_port()
            kb_cmd = [sys.executable, "-m", "kb", "serve", "--port", str(port), "--workers", str(workers)]
            process = serve(kb_cmd, port, "/readyz", env)
            try:
                ours = wrk(f"http://127.0.0.1:{port}/v1/match", args.seconds)
            finally:
                stop(process)
            port = free_port()
            peer_cmd = [sys.executable, "-m", "uvicorn", "--factory", "api_load:trivial_app", "--app-dir",
                        str(Path(__file__).parent), "--port", str(port), "--workers", str(workers),
                        "--no-access-log", "--log-level", "warning"]  # fmt: skip
            process = serve(peer_cmd, port, "/healthz", env)
            try:
                peer = wrk(f"http://127.0.0.1:{port}/echo", args.seconds)
            finally:
                stop(process)
            report(workers, rate, ours, peer)


def report(workers: int, rate: float, ours: Load, peer: Load) -> None:
    target = 0.8 * workers * rate
    print(f"\n{workers} worker(s), {CONNECTIONS} connections; in-process kb.match just before: {rate:,.0f} calls/s")
    print(f"  kb serve POST /v1/match   {ours.rate:8,.0f} req/s  p50 {ours.p50_ms:7.1f} ms  p99 {ours.p99_ms:7.1f} ms"
          f"  errors {ours.errors}")  # fmt: skip
    print(f"  trivial FastAPI POST      {peer.rate:8,.0f} req/s  p50 {peer.p50_ms:7.1f} ms  p99 {peer.p99_ms:7.1f} ms"
          f"  errors {peer.errors}")  # fmt: skip
    print(f"  throughput / ({workers} x in-process rate) = {ours.rate / (workers * rate):.2f}  (target >= 0.80: "
          f"{'met' if ours.rate >= target else 'NOT met'})")  # fmt: skip
    tail_met = "met" if ours.p99_ms <= 4 * ours.p50_ms else "NOT met"
    print(f"  p99 / p50 = {ours.p99_ms / ours.p50_ms:.1f}  (target <= 4: {tail_met})")
    print(f"  kb / trivial endpoint = {ours.rate / peer.rate:.3f}")


if __name__ == "__main__":
    main()
