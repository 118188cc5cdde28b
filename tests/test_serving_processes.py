"""The gunicorn processes of `python -m webapp`: their threads, and that they all end.

Real server, real model, real index (the bundled corpus); nothing is mocked.
"""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import psutil
import requests

from tests.servers import gunicorn_pids, serve_with_gunicorn, server_log

WORKER_READY_SECONDS = 300  # a worker compiling its model on a loaded machine
STOP_SECONDS = 10  # gunicorn's graceful timeout is 30 s: a hung worker would still be there


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _use_the_models(base: str) -> None:
    """Requests that run e5, USE and BLAS in whichever workers answer them (several, so
    both workers very likely get some): the thread pools a stopped worker could hang in."""
    for query in ("江门工业", "industry in Jiangmen", "新会区有多少家专精特新企业？", "What was Xinhui's GDP?"):
        for path in ("/api/search", "/api/ask"):
            assert requests.get(base + path, params={"q": query}, timeout=120).status_code == 200


def test_sigterm_to_the_master_ends_every_worker(bundled_data_dir: Path) -> None:
    with serve_with_gunicorn(bundled_data_dir, workers=2) as base:
        _use_the_models(base)
        master, workers = gunicorn_pids(base)
        assert len(workers) == 2
        os.kill(master, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        while time.monotonic() < deadline and any(_alive(pid) for pid in [master, *workers]):
            time.sleep(0.1)
        left = [pid for pid in [master, *workers] if _alive(pid)]
        assert not left, f"still running {STOP_SECONDS}s after SIGTERM: {left} (master {master})"


def test_every_worker_logs_its_threads_and_uses_one_blas_thread(bundled_data_dir: Path) -> None:
    with serve_with_gunicorn(bundled_data_dir, workers=2) as base:
        _, workers = gunicorn_pids(base)
        # The server answers as soon as one worker is ready; the other may still be
        # compiling its model, and logs its line when it is.
        deadline = time.monotonic() + WORKER_READY_SECONDS
        while True:
            log = server_log(base).read_text(encoding="utf-8")
            lines = {int(m.group(1)): m.group(0) for m in re.finditer(r"worker (\d+): inference threads .*", log)}
            if set(workers) <= set(lines) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert set(workers) <= set(lines), f"no thread line for some of {workers}:\n{log[-2000:]}"
    for pid in workers:
        # Each BLAS library's own count (threadpoolctl reads it from OpenBLAS), not our setting.
        libraries = re.search(r"BLAS threads 1 \((.*)\)", lines[pid])
        assert libraries, lines[pid]
        assert all(entry.endswith(" 1") for entry in libraries.group(1).split(", ")), lines[pid]


def test_workers_end_by_themselves_when_the_master_is_killed(bundled_data_dir: Path) -> None:
    """SIGKILL leaves the master no chance to stop its workers: each notices its parent
    changed at its next wake-up (every WORKER_TIMEOUT / 2 s) and must then exit, not hang
    (test processes killed this way were seen orphaned)."""
    # 20 s: a worker compiles its model after the fork (~5 s, more under load) and must not
    # be timed out for it; it then checks its parent every 10 s.
    with serve_with_gunicorn(bundled_data_dir, workers=2, env={"WORKER_TIMEOUT": "20"}) as base:
        _use_the_models(base)
        master, workers = gunicorn_pids(base)
        os.kill(master, signal.SIGKILL)
        deadline = time.monotonic() + 10 + STOP_SECONDS
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.1)
        left = [pid for pid in workers if _alive(pid)]
        for pid in left:  # leave no orphan behind, whatever the outcome
            os.kill(pid, signal.SIGKILL)
        assert not left, f"workers still running {10 + STOP_SECONDS}s after their master was killed: {left}"
