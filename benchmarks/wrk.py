"""Load from wrk: one Lua script (rotating_paths.lua), one way to start it and read its numbers."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("rotating_paths.lua")
_RESULT = re.compile(r"WRK_RESULT" + r" (\d+)" * 10)


@dataclass(frozen=True)
class WrkStats:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    bad_status: int  # non-2xx/3xx answers
    socket_errors: int  # connect, read and write errors
    timeouts: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_script(paths: list[str], unique_every: int = 0) -> str:
    quoted = ", ".join(f'"{p}"' for p in paths)
    return SCRIPT.read_text(encoding="utf-8").replace("__PATHS__", quoted).replace("__UNIQUE_EVERY__", str(unique_every))


def start_wrk(base: str, script: str, seconds: float, connections: int, threads: int, timeout_s: int = 10,
              script_dir: Path | None = None) -> subprocess.Popen[str]:
    """Start wrk in the background; `read_wrk` waits for it and parses its numbers."""
    if script_dir is not None:
        script_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, dir=script_dir) as handle:
        handle.write(script)
    process = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", f"{timeout_s}s",
         "-s", handle.name, base],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    process.args_script = handle.name  # type: ignore[attr-defined]
    return process


def read_wrk(process: subprocess.Popen[str]) -> WrkStats:
    out = process.stdout.read() if process.stdout else ""
    process.wait()
    os.unlink(process.args_script)  # type: ignore[attr-defined]
    match = _RESULT.search(out)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    n, micros, p50, p95, p99, worst, bad, connect, rw, timeouts = (int(x) for x in match.groups())
    return WrkStats(n, micros / 1e6, p50 / 1000, p95 / 1000, p99 / 1000, worst / 1000, bad, connect + rw, timeouts)


def run_wrk(base: str, script: str, seconds: float, connections: int, threads: int) -> WrkStats:
    return read_wrk(start_wrk(base, script, seconds, connections, threads))
