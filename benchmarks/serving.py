"""Requests per second through the real server: `python -m webapp` (gunicorn, 2 sync
workers, app and model preloaded) on 127.0.0.1, driven by a threaded HTTP client.

The client runs on the same two cores as the workers and takes some of their CPU, so
these are lower bounds for a machine where the load comes from elsewhere.
"""
from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psutil

from benchmarks.workspace import REPO_ROOT

CONCURRENCY = 4  # two requests queued per worker: the workers never wait for the client
START_TIMEOUT = 300  # seconds: preloading opens the index and the model, then warms up


@dataclass
class LoadResult:
    scenario: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)  # HTTP status or exception name

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, timeout: float = 120) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


class Server:
    """`python -m webapp` on a free port; stopped (by its own pid) on exit."""

    def __init__(self, data_dir: Path, log: Path, workers: int = 2, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Rate limits off unless `env` says otherwise: a benchmark's load comes from one client
        # address, which is exactly what they stop.
        env = {**os.environ, "DATA_DIR": str(data_dir), "ACCESS_LOG": "", "WORKERS": str(workers),
               "RATE_LIMIT_SEARCH": "0", "RATE_LIMIT_ASK": "0",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )

    def __enter__(self) -> Server:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"webapp exited with {self.process.returncode}; see {self._log.name}")
            try:
                json.loads(_get(f"{self.base}/healthz", timeout=5))
                return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"webapp did not answer within {START_TIMEOUT}s; see {self._log.name}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()

    def worker_memory_mb(self) -> list[dict[str, float]]:
        """RSS and USS (memory only that worker holds; the rest is shared copy-on-write)."""
        out = []
        for child in psutil.Process(self.process.pid).children():
            info = child.memory_full_info()
            out.append({"rss": info.rss / 2**20, "uss": info.uss / 2**20})
        return out


def drive(base: str, scenario: str, path: str, queries: Iterator[str], seconds: float) -> LoadResult:
    """CONCURRENCY clients send requests back to back for `seconds` (or until the query
    iterator runs out)."""
    lock = threading.Lock()
    result = LoadResult(scenario, 0, 0, 0.0)
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < deadline:
            with lock:
                query = next(queries, None)
            if query is None:
                return
            started = time.perf_counter()
            kind = ""
            try:
                _get(f"{base}{path}{quote(query)}")
            except urllib.error.HTTPError as exc:
                kind = str(exc.code)
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                kind = type(exc).__name__
            took = (time.perf_counter() - started) * 1000
            with lock:
                if kind:
                    result.errors += 1
                    result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
                else:
                    result.requests += 1
                    result.latencies_ms.append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def measure_serving(data_dir: Path, repeated: list[str], unique: list[str], seconds: float) -> dict:
    """rps per scenario. "repeated" cycles through a few queries (their vectors are
    cached after the first round); "unique" never repeats one, so each request embeds
    its query, and ask embeds the sentences it has not seen."""
    fresh = iter(unique)
    scenarios = [
        ("search keyword", "/api/search?mode=keyword&q=", itertools.cycle(repeated)),
        ("search vector (repeated queries)", "/api/search?mode=vector&q=", itertools.cycle(repeated)),
        ("search hybrid (repeated queries)", "/api/search?mode=hybrid&q=", itertools.cycle(repeated)),
        ("search hybrid (unique queries)", "/api/search?mode=hybrid&q=", fresh),
        ("ask (unique questions)", "/api/ask?q=", fresh),
    ]
    with Server(data_dir, data_dir / "webapp.log") as server:
        # Warm-up, not measured: each repeated query ~4 times through hybrid (which embeds with
        # both encoders and runs the keyword side), so both workers have most of them cached.
        drive(server.base, "warm-up", "/api/search?mode=hybrid&q=", iter(repeated * 4), 120)
        results = [drive(server.base, name, path, queries, seconds) for name, path, queries in scenarios]
        memory = server.worker_memory_mb()
    return {
        "results": [
            {"scenario": r.scenario, "rps": r.rps, "requests": r.requests, "errors": r.errors,
             "error_kinds": r.error_kinds, "latencies_ms": r.latencies_ms}
            for r in results
        ],
        "workers_mb": memory,
    }
