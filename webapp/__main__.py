"""`python -m webapp --host 127.0.0.1 --port 8000`: build the index if missing, then serve.

gunicorn runs WORKERS sync workers (2 by default). The app, the index and the embedding
model are loaded once in the master before it forks (preload), so workers start warm
and share those pages copy-on-write; each worker still picks up a newer build per
request through `SearchEngine.refresh()`.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from gunicorn.app.base import BaseApplication

from index import BuildError, SearchEngine, ask, build_index, configure_threads, reindex_needed, start_reindex

from . import create_app
from .settings import WebSettings

# Warm-up queries run before forking: the first pays for loading the model and jieba's
# dictionary, so no user request does. One per language.
WARM_UP = ("江门工业", "industry")


class WebServer(BaseApplication):
    """gunicorn with an app object we built ourselves (no import string, no config file)."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def main(argv: Sequence[str] | None = None) -> int:
    settings = WebSettings.from_env()
    args = _parser(settings).parse_args(argv)
    if not SearchEngine.has_index(settings.data_dir):
        print(f"no index in {settings.data_dir}: building it from {settings.corpus_dir} …", file=sys.stderr)
        try:
            summary = build_index(settings.corpus_dir, settings.data_dir)
        except BuildError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"built {summary.documents} documents, {summary.passages} passages in {summary.seconds:.1f}s",
              file=sys.stderr)
    resume_pending_reindex(settings)
    engine = warm_engine(settings)
    app = create_app(settings, engine=engine)
    WebServer(app, gunicorn_options(settings, args, engine)).run()
    return 0


def resume_pending_reindex(settings: WebSettings) -> None:
    """Index uploads saved before a crash: a pending marker, or added files newer than the build.

    The 202 of an upload means "on disk", not "indexed"; if the process (or the detached
    reindex) was killed before the build finished, this start finishes the job, in the
    background, while the last complete build serves.
    """
    if reindex_needed(settings.data_dir):
        print(f"uploads waiting in {settings.data_dir}: reindexing in the background", file=sys.stderr)
        start_reindex(settings.corpus_dir, settings.data_dir)


def warm_engine(settings: WebSettings) -> SearchEngine:
    started = time.perf_counter()
    # One thread while warming up in the master: a thread pool started before gunicorn forks
    # (torch's libgomp) is inherited broken, and a WORKERS=1 worker on two cores, keeping
    # two threads, hung in gomp_team_barrier_wait_end. Workers set their share after the fork.
    # BLAS gets one thread here and in every worker (index/vector/threads.py says why).
    configure_threads(1, blas=1)
    engine = SearchEngine(settings.data_dir, config=settings.index.search_config())
    for query in WARM_UP:
        ask(engine, query)
    if engine.build.second_vectors is not None:
        # USE loads on its first cross-lingual query; loaded here, its weights are shared
        # by the workers instead of read again by each (and its first query is not slow).
        engine.second_encoder.prepare_process()
    print(f"index and model loaded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return engine


def gunicorn_options(settings: WebSettings, args: argparse.Namespace, engine: SearchEngine) -> dict[str, Any]:
    workers = args.workers or settings.workers
    return {
        "bind": f"{args.host}:{args.port}",
        "workers": workers,
        "worker_class": "sync",
        "preload_app": True,
        "timeout": settings.worker_timeout,
        "accesslog": settings.access_log or None,
        "errorlog": "-",
        # The request line holds the URL-encoded query: 500 Chinese characters are 4.5 kB,
        # over gunicorn's 4094-byte default, and must reach the app to get a proper 413.
        "limit_request_line": 8190,
        "pre_fork": _pre_fork,
        "post_fork": _post_fork(settings.torch_threads or max(1, (os.cpu_count() or 1) // workers), engine),
        "worker_exit": _worker_exit,
        "proc_name": "webapp",
        # gunicorn 25+ opens ~/.gunicorn/gunicorn.ctl by default; two servers on one
        # machine (tests, benchmarks) would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


def _pre_fork(server: Any, worker: Any) -> None:
    """In the master, before each fork: move every object alive now (the index, the
    passages, the model's Python side) into the collector's permanent generation. A
    collection in a worker then never touches them, and touching is writing (reference
    counts and GC flags live in the object), which would copy their pages into that worker.
    The first call collects the warm-up's garbage first; later ones (a replaced worker)
    find little new."""
    gc.collect()
    gc.freeze()


def _post_fork(threads: int, engine: SearchEngine) -> Any:
    def post_fork(server: Any, worker: Any) -> None:
        # Workers share the CPUs: without this each one would start one inference thread
        # per core and they would fight over them under load.
        settings = configure_threads(threads, blas=1)
        started = time.perf_counter()
        engine.encoder.prepare_process()  # before the first request, not during it
        server.log.info("worker %s: %s; model ready in %.1fs", worker.pid, settings.describe(),
                        time.perf_counter() - started)

    return post_fork


def _worker_exit(server: Any, worker: Any) -> None:
    """End a worker that served (SIGTERM, max requests, reload) at once, skipping the
    interpreter's shutdown: that waits on thread pools the worker inherited from the
    master's warm-up (the model's), whose threads do not exist after fork, and stopped
    workers were seen hanging there for ever, orphaned once the master had gone. Nothing
    is left to flush but the standard streams: every write the app makes (uploads,
    builds, rate-limit counters) is complete before its request ends. A worker that never
    booted exits normally, with the code that tells the master to stop."""
    if worker.booted:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _parser(settings: WebSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m webapp", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="address to bind (env HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port (env PORT)")
    parser.add_argument("--workers", type=int, default=0, help=f"gunicorn workers (env WORKERS, now {settings.workers})")
    return parser


if __name__ == "__main__":
    sys.exit(main())
