"""A list of strings kept as two .npy files (one UTF-8 blob and its offsets), opened
memory-mapped: gunicorn workers share the pages instead of each building a dict of a
million terms or passage ids at start.

A table written `searchable` keeps its strings in the order of a 64-bit hash, stored
beside them, so `find` looks a query's terms up with one np.searchsorted."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np


def load_array(path: Path) -> np.ndarray:
    """Memory-mapped when it can be (numpy cannot map an empty array), as a plain ndarray
    view: np.memmap's own __getitem__ cost ~10 us a slice, which made looking up a query's
    terms (a bisection each) most of a search."""
    try:
        return np.asarray(np.load(path, mmap_mode="r"))
    except ValueError:
        return np.load(path)


def string_hash(data: bytes) -> int:
    """A 64-bit hash that is the same in every process (Python's own hash is salted)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def hashed_order(keys: Iterable[bytes]) -> list[bytes]:
    """The order a searchable table keeps its strings in: by hash, then by bytes."""
    return sorted(keys, key=lambda k: (string_hash(k), k))


class StringTable:
    def __init__(self, blob: np.ndarray, offsets: np.ndarray, hashes: np.ndarray | None = None) -> None:
        self._blob = blob.data  # a memoryview: slicing one is the cheapest way to bytes
        self._offsets = offsets
        self._hashes = hashes

    @staticmethod
    def write(folder: Path, name: str, strings: Iterable[str], searchable: bool = False) -> list[str]:
        """Write `name.blob.npy` and `name.offsets.npy` (and, `searchable`, `name.hash.npy`
        with the strings in `hashed_order`); return the strings in table order."""
        encoded = [s.encode("utf-8") for s in strings]
        if searchable:
            encoded = hashed_order(encoded)
            hashes = np.array([string_hash(b) for b in encoded], dtype=np.uint64)
            np.save(folder / f"{name}.hash.npy", hashes)
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        np.save(folder / f"{name}.blob.npy", np.frombuffer(b"".join(encoded), dtype=np.uint8))
        np.save(folder / f"{name}.offsets.npy", offsets)
        return [b.decode("utf-8") for b in encoded]

    @classmethod
    def open(cls, folder: Path, name: str) -> StringTable:
        hashes = folder / f"{name}.hash.npy"
        return cls(load_array(folder / f"{name}.blob.npy"), load_array(folder / f"{name}.offsets.npy"),
                   load_array(hashes) if hashes.is_file() else None)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _bytes(self, i: int) -> bytes:
        return self._blob[int(self._offsets[i]):int(self._offsets[i + 1])].tobytes()

    def __getitem__(self, i: int) -> str:
        return self._bytes(i).decode("utf-8")

    def find(self, texts: Sequence[str]) -> list[int]:
        """Position of each text in a searchable table, or -1: one vectorised search over
        the hashes, then each hit's bytes compared (a bisection per term on the strings
        themselves was most of a search's time)."""
        if self._hashes is None:
            raise ValueError("table written without searchable=True")
        keys = [t.encode("utf-8") for t in texts]
        wanted = np.array([string_hash(k) for k in keys], dtype=np.uint64)
        starts = np.searchsorted(self._hashes, wanted)
        found = []
        for key, h, i in zip(keys, wanted, starts.tolist()):
            # Equal hashes sit together, ordered by bytes: walk the (almost always single) run.
            while i < len(self) and self._hashes[i] == h and self._bytes(i) != key:
                i += 1
            found.append(i if i < len(self) and self._hashes[i] == h else -1)
        return found
