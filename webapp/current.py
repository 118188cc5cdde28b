"""The search engine an app serves, opened once per process and refreshed per request.

`python -m webapp` opens the engine (and loads the model) in the gunicorn master before
forking, so workers share it. Each request first calls `refresh()`, which switches to a
build published since (one small file read when nothing changed).
"""
from __future__ import annotations

import os
import sys
import threading

from flask import current_app, g

from index import SearchEngine, configure_threads

from .errors import ApiError
from .settings import WebSettings

EXTENSION = "search_engine"


class EngineHolder:
    def __init__(self, settings: WebSettings, engine: SearchEngine | None = None) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = threading.Lock()

    def get(self) -> SearchEngine:
        """The engine, opened on first use; 503 while no index has been built."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    if not SearchEngine.has_index(self.settings.data_dir):
                        raise ApiError(503, "index_not_built",
                                       "no index has been built yet: run `python -m index build`")
                    # The dev server (`flask --app webapp run`) opens its engine here, in its one
                    # process: the model may use every core, BLAS one (index/vector/threads.py).
                    threads = configure_threads(self.settings.torch_threads or os.cpu_count() or 1, blas=1)
                    print(f"pid {os.getpid()}: {threads.describe()}", file=sys.stderr)
                    self._engine = SearchEngine(self.settings.data_dir, config=self.settings.index.search_config())
        return self._engine

    def refreshed(self) -> SearchEngine:
        """The engine, switched to a newer build if one was published (a build that cannot
        be opened is logged and skipped by the library; the loaded one keeps serving)."""
        engine = self.get()
        engine.refresh()
        return engine


def holder() -> EngineHolder:
    return current_app.extensions[EXTENSION]


def current_engine() -> SearchEngine:
    """The engine for this request, refreshed once per request."""
    engine = g.get("search_engine")
    if engine is None:
        engine = holder().refreshed()
        g.search_engine = engine
    return engine
