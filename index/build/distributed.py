"""Load files and embed text on a Ray cluster (`python -m index build --ray [ADDRESS]`).

Ray is imported here only, and only when a `RayRunner` starts, so nothing else pays for it.

- Loading: Ray tasks over shards of the file list. Each returns its files' documents and
  problems; the driver merges them with `collect_documents` in file order, so ids,
  duplicates and problems come out as in a local build. The files are read by path, so
  every node must see the corpus at the same path (a shared mount).
- Embedding: one actor per worker, each loading the encoder once (`Encoder(data_dir)`,
  through its public `encode_passages`, so any backend works). The driver looks texts up
  in the content-addressed vector cache first and sends only the missing ones, in
  batches, to whichever actor is free; the vectors come back into the cache, and the
  driver then reads every row from the cache through the same `encode_passages` call the
  local build makes, which finds them all and never loads the model here.

The driver keeps the rest (splitting into passages, the keyword index, the caches, writing
and publishing the build folder), so the build it writes is the local one's.
"""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.build.builder import BuildError
from index.build.runner import Progress
from index.corpus.loader import LoadProblem, LoadResult, collect_documents, load_file
from index.models import Document
from index.vector.cache import EmbeddingCache, content_key
from index.vector.encoder import Encoder

# Texts per actor call: large enough that a call's overhead (a few ms) is small against
# embedding it (about a second on one core), small enough to spread a small corpus.
EMBED_BATCH = 64
# Loading shards per worker: more than one, so a shard of long files does not hold up the rest.
SHARDS_PER_WORKER = 4
CONNECT_TIMEOUT_S = 10
INDEX_PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: start a local Ray on this machine
    workers: int | None = None  # embedding actors; default: the cluster's CPUs / worker_cpus
    worker_cpus: float = 1.0  # CPUs each actor reserves (and the threads torch gives it)
    local_cpus: int | None = None  # CPUs of a local Ray; default: this machine's


FileLoad = tuple[Path, tuple[list[Document], list[LoadProblem]]]


def load_shard(paths: Sequence[Path]) -> list[FileLoad]:
    """Each file's documents and problems (a Ray task)."""
    return [(path, load_file(path)) for path in paths]


class EmbeddingWorker:
    """A Ray actor: loads each encoder once, then embeds the batches it is sent."""

    def __init__(self) -> None:
        self._encoders: dict[tuple[type[Encoder], Path], Encoder] = {}

    def embed(self, encoder_class: type[Encoder], data_dir: Path, texts: list[str]) -> np.ndarray:
        key = (encoder_class, data_dir)
        if key not in self._encoders:
            self._encoders[key] = encoder_class(data_dir)
        return self._encoders[key].encode_passages(texts)


class RayRunner:
    """A `BuildRunner` on a Ray cluster; use `connect` to start or join one."""

    def __init__(self, ray: Any, options: RayOptions) -> None:
        self._ray = ray
        self._options = options
        cpus = float(ray.cluster_resources().get("CPU", 0))
        self.workers = options.workers or max(1, int(cpus // options.worker_cpus))
        if self.workers * options.worker_cpus > cpus:
            # Ray would wait forever for CPUs the cluster does not have.
            raise BuildError(f"{self.workers} worker(s) of {options.worker_cpus:g} CPU need more than "
                             f"the cluster's {cpus:g} CPU")
        self._load_task = ray.remote(num_cpus=1)(load_shard)
        self._actors: list[Any] = []

    @classmethod
    @contextmanager
    def connect(cls, options: RayOptions) -> Iterator[RayRunner]:
        """Start a local Ray (no address) or join a running cluster, and leave it after."""
        ray = _import_ray()
        local = options.address is None
        try:
            if options.address is not None:
                _check_reachable(options.address)
            ray.init(
                address="local" if local else options.address,
                num_cpus=(options.local_cpus or os.cpu_count() or 1) if local else None,
                include_dashboard=False if local else None,
                # Worker nodes run this exact code: the `index` package travels with the job,
                # so only the virtualenv has to be installed on them.
                runtime_env={"py_modules": [str(INDEX_PACKAGE)], "excludes": ["__pycache__"]},
                logging_level=logging.WARNING,
                log_to_driver=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = "a local Ray" if local else f"the Ray cluster at {options.address}"
            raise BuildError(f"cannot start or reach {where}: {exc}") from exc
        try:
            yield cls(ray, options)
        finally:
            ray.shutdown()

    def load(self, files: Sequence[Path], on_progress: Progress = None) -> LoadResult:
        # Embedding actors may hold every CPU, and loading tasks would then wait forever.
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        shard_size = max(1, -(-len(files) // (self.workers * SHARDS_PER_WORKER)))
        pending = [self._load_task.remote(list(files[i:i + shard_size]))
                   for i in range(0, len(files), shard_size)]
        loads: list[FileLoad] = []
        for ref in pending:  # in order: the merge keeps the first of duplicate ids
            try:
                shard: list[FileLoad] = self._ray.get(ref)
            except self._ray.exceptions.RayError as exc:
                raise BuildError(f"a Ray worker failed while loading files: {exc}") from exc
            loads.extend(shard)
            if on_progress:
                on_progress(len(shard))
        return collect_documents(loads)

    def embed(self, encoder: Encoder, texts: Sequence[str], cache: EmbeddingCache,
              on_progress: Progress = None) -> np.ndarray:
        keys = [content_key(encoder.name, "passage", text) for text in texts]
        first_of: dict[str, int] = {}  # the same text twice is embedded once, as locally
        for i, key in enumerate(keys):
            if cache.get(key) is None:
                first_of.setdefault(key, i)
        missing = sorted(first_of.values())
        if on_progress and len(texts) > len(missing):
            on_progress(len(texts) - len(missing))
        # Smaller batches when there are few texts, so every actor gets some.
        size = max(1, min(EMBED_BATCH, -(-len(missing) // self.workers)))
        batches = [missing[i:i + size] for i in range(0, len(missing), size)]
        try:
            for batch, vectors in zip(batches, self._embed_batches(encoder, [[texts[i] for i in b] for b in batches])):
                for i, vector in zip(batch, vectors):
                    cache.put(keys[i], vector)
                if on_progress:
                    on_progress(len(batch))
        except self._ray.exceptions.RayError as exc:
            # What came back is kept, so a rerun (or the builder's search for the document
            # at fault) embeds only the rest.
            cache.save()
            if isinstance(exc, self._ray.exceptions.RayTaskError):
                raise exc.as_instanceof_cause() from None  # the encoder raised: blamed as locally
            raise BuildError(f"a Ray worker failed while embedding: {exc}") from exc
        # Every row is in the cache now, so this reads them without loading the model.
        return encoder.encode_passages(texts, cache)

    def _embed_batches(self, encoder: Encoder, batches: list[list[str]]) -> Iterator[np.ndarray]:
        """Each batch's vectors, in order; ActorPool hands every batch to the next free actor."""
        encoder_class, data_dir = type(encoder), Path(encoder.data_dir)
        if not self._actors:
            # Made after loading, whose tasks need the CPUs these actors hold until the end.
            actor = self._ray.remote(num_cpus=self._options.worker_cpus)(EmbeddingWorker)
            self._actors = [actor.remote() for _ in range(self.workers)]
        pool = self._ray.util.ActorPool(self._actors)
        yield from pool.map(lambda actor, batch: actor.embed.remote(encoder_class, data_dir, batch), batches)


def _check_reachable(address: str) -> None:
    """Fail in seconds on a wrong host:port: ray.init retries an unreachable cluster for
    about ten minutes (20 attempts of 30 s or more) before it gives up."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise ConnectionError(exc.strerror or str(exc)) from exc


def _import_ray() -> Any:
    # Ray's own telemetry is off: the build machines have no internet, and nothing leaves them.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.exceptions
        import ray.util
    except ImportError as exc:  # pragma: no cover - ray is in requirements.txt
        raise BuildError("--ray needs the 'ray' package (pip install ray==2.60.0)") from exc
    return ray
