"""The threads this process's numeric work may use: the one place that sets them.

Three pools compete for the cores of a serving process: the e5 model's (OpenVINO's
INFERENCE_NUM_THREADS, or torch's intra-op pool), numpy's BLAS (OpenBLAS starts one
thread per core on its first matrix product) and USE's forward pass, which is numpy
too. Left at their defaults on a 2-core machine with 2 gunicorn workers, every
process runs 2 BLAS threads and they fight: measured under load, the exact vector scan
of 50k passages took 29-57 ms with the default 2 BLAS threads and 0.1-1.5 ms with one,
and a USE query embedding was ~3.8x faster with one. A request's matrix products are
small (one query against the passages), so one BLAS thread per process is also the
fastest on an idle machine; parallelism comes from the workers.

A build (one process embedding many passages in batches) is left alone: nothing here
runs unless a server calls `configure_threads`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from threadpoolctl import threadpool_info, threadpool_limits

from index.vector.encoder import set_inference_threads

logger = logging.getLogger(__name__)

_configured: ThreadSettings | None = None


@dataclass(frozen=True)
class ThreadSettings:
    inference: int  # e5 model threads (OpenVINO or torch); 0 = the runtime's default
    blas: int  # numpy BLAS threads, USE's included

    def describe(self) -> str:
        libraries = ", ".join(f"{lib['internal_api']} {lib['num_threads']}" for lib in threadpool_info()
                              if lib["user_api"] == "blas") or "no BLAS loaded"
        return f"inference threads {self.inference or 'default'}, BLAS threads {self.blas} ({libraries})"


def configure_threads(inference: int, blas: int = 1) -> ThreadSettings:
    """Set this process's inference and BLAS threads; call it in each server process
    (gunicorn: the master before warming up, then every worker after its fork)."""
    global _configured
    set_inference_threads(inference)
    # Called outside a `with`, threadpool_limits stays in force for the process's life.
    threadpool_limits(limits=blas, user_api="blas")
    _configured = ThreadSettings(inference, blas)
    return _configured


def blas_threads(default: int) -> int:
    """The BLAS threads `configure_threads` set in this process, else `default`
    (USE asks at load: it sets its own limit around every forward pass)."""
    return _configured.blas if _configured is not None else default


def configured_threads() -> ThreadSettings | None:
    return _configured
