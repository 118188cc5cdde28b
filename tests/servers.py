"""Real HTTP servers for tests: the app in a thread, or `python -m webapp` under gunicorn.

    with serve_in_thread(create_app(settings, engine=engine)) as base_url:
        requests.get(base_url + "/healthz")

    with serve_with_gunicorn(data_dir, workers=2) as base_url:
        ...
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve a WSGI app on a free port from a daemon thread; yields its base URL."""
    server = make_server(host, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve_with_gunicorn(
    data_dir: Path, workers: int = 2, env: dict[str, str] | None = None, startup_timeout: float = 600.0
) -> Iterator[str]:
    """Run `python -m webapp` (gunicorn, preloaded) over `data_dir`; yields its base URL.

    The start (model load, first requests) takes about 10 s on a quiet machine; the generous
    timeout is for a loaded one, where two cores shared with other jobs made 120 s too short.
    """
    port = free_port()
    child_env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "WORKERS": str(workers),
        "ACCESS_LOG": "",
        # Test clients send hundreds of requests a minute; tests/test_production.py turns
        # limits on with small values where they are the subject.
        "RATE_LIMIT_SEARCH": "0",
        "RATE_LIMIT_ASK": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        **(env or {}),
    }
    log_dir = REPO_ROOT / "test-output" / "server-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"gunicorn-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, startup_timeout, Path(log.name))
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        # Timeout: gunicorn listens before its workers are ready (each compiles its model first).
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{log.read_text()[-3000:]}")


def server_log(base_url: str) -> Path:
    """The log file `serve_with_gunicorn` writes for the server at base_url (gunicorn + JSON access log)."""
    return REPO_ROOT / "test-output" / "server-logs" / f"gunicorn-{base_url.rsplit(':', 1)[1]}.log"


def gunicorn_pids(base_url: str) -> tuple[int, list[int]]:
    """The gunicorn master's pid and its workers' pids for the server listening at base_url.

    Workers are the master's children running the same command line (a reindex the master
    started is a child too, but runs `-m index`).
    """
    port = base_url.rsplit(":", 1)[1].encode()
    processes: dict[int, tuple[int, list[bytes]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        processes[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    serving = {pid for pid, (_, cmd) in processes.items()
               if b"webapp" in cmd and b"--port" in cmd and port in cmd}
    master = next(pid for pid in serving if processes[pid][0] not in serving)
    return master, sorted(pid for pid in serving if processes[pid][0] == master)


@contextmanager
def serve_redis(startup_timeout: float = 20.0) -> Iterator[str]:
    """A throwaway Debian `redis-server` on a free loopback port, nothing saved; yields its URL."""
    import redis

    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start (exit {process.poll()})") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
