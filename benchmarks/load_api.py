"""`python -m benchmarks.load_api`: wrk against /api/search and /api/ask on the real server.

Starts `python -m webapp` (gunicorn, 2 sync workers, app and model preloaded) on
127.0.0.1 over DATA_DIR (default ./data, the bundled corpus), then runs `wrk` for a
bounded time per scenario with a Lua script that rotates through a few queries:

- "rotating": 8 queries over and over; after the first round every query vector comes
  from the encoder's cache, so this is the search/answer cost without the model.
- "unique": the same queries with a per-request suffix, so every request runs the model
  on its query (the realistic case for people typing new questions).

Prints requests/s, p50/p95/p99 latency and the memory of the master and each worker
(RSS, and PSS/USS, since workers share the preloaded model copy-on-write).
wrk runs on the same machine and takes CPU from the workers: the numbers are lower bounds.
Needs wrk: `apt-get install -y wrk`.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil

from benchmarks.serving import Server
from benchmarks.tables import Table
from benchmarks.workspace import REPO_ROOT
from benchmarks.wrk import lua_script, run_wrk

SEARCH_QUERIES = ("新型储能", "新会 GDP", "专精特新企业", "江门工业", "产业集群", "energy storage",
                  "Canton Fair", "招商引资")
QUESTIONS = ("新会区有多少家专精特新企业？", "新会区2023年GDP是多少？", "江门有哪些产业集群？",
             "How many specialized enterprises does Xinhui have?", "What was Xinhui's GDP in 2023?",
             "新型储能产业产值是多少？", "江门工业增加值增长了多少？", "What is the Canton Fair?")

@dataclass
class WrkResult:
    scenario: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bad_status: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def scenario_script(endpoint: str, queries: tuple[str, ...], unique: bool) -> str:
    return lua_script([f"{endpoint}?q={quote(q)}" for q in queries], unique_every=1 if unique else 0)


def measure(base: str, scenario: str, script: str, seconds: int, connections: int, threads: int) -> WrkResult:
    stats = run_wrk(base, script, seconds, connections, threads)
    return WrkResult(scenario, stats.requests, stats.seconds, stats.p50_ms, stats.p95_ms, stats.p99_ms,
                     stats.bad_status, stats.socket_errors + stats.timeouts)


def memory_table(master_pid: int) -> Table:
    table = Table("Memory of the serving processes (MiB)", ["process", "RSS", "PSS", "USS"])
    master = psutil.Process(master_pid)
    processes = [("master", master)] + [(f"worker {p.pid}", p) for p in master.children()]
    totals = [0.0, 0.0, 0.0]
    for name, process in processes:
        info = process.memory_full_info()
        values = [info.rss / 2**20, getattr(info, "pss", 0) / 2**20, info.uss / 2**20]
        totals = [a + b for a, b in zip(totals, values)]
        table.add(name, *(round(v) for v in values))
    table.add("total", *(round(v) for v in totals))
    table.notes.append("RSS counts the preloaded model and index in every process; PSS splits shared pages "
                       "between the processes that share them, so the PSS total is what the service really uses.")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_api", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("DATA_DIR") or REPO_ROOT / "data"))
    parser.add_argument("--seconds", type=int, default=20, help="per scenario (default 20)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 1
    scenarios = [
        ("search, 8 rotating queries", scenario_script("/api/search", SEARCH_QUERIES, False)),
        ("search, unique queries", scenario_script("/api/search", SEARCH_QUERIES, True)),
        ("ask, 8 rotating questions", scenario_script("/api/ask", QUESTIONS, False)),
        ("ask, unique questions", scenario_script("/api/ask", QUESTIONS, True)),
    ]
    log = REPO_ROOT / "test-output" / "load_api-webapp.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    table = Table(f"/api/search and /api/ask under gunicorn ({args.workers} sync workers), wrk -t{args.threads} "
                  f"-c{args.connections}, {args.seconds}s each",
                  ["scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx", "socket errors"])
    load_before = os.getloadavg()[0]
    with Server(args.data, log, workers=args.workers) as server:
        for scenario, script in scenarios:
            print(f"running {scenario} …", file=sys.stderr, flush=True)
            r = measure(server.base, scenario, script, args.seconds, args.connections, args.threads)
            table.add(r.scenario, r.requests, round(r.rps, 1), round(r.p50_ms, 1), round(r.p95_ms, 1),
                      round(r.p99_ms, 1), r.bad_status, r.socket_errors)
        memory = memory_table(server.process.pid)
    table.notes.append(f"{os.cpu_count()} CPUs shared by wrk and the server; data: {args.data}")
    table.notes.append(f"1-minute load average {load_before:.1f} before the run: anything above ~0.5 means "
                       "other processes took CPU from these numbers")
    print(table.to_text())
    print(memory.to_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
