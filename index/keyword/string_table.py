"""A list of strings kept as two .npy files (one UTF-8 blob and its offsets), opened
memory-mapped: gunicorn workers share the pages instead of each building a dict of a
million terms or passage ids at start.

A table written from sorted strings (`sort=True`) is searchable by `find` (bisection on
the UTF-8 bytes, whose order is the code point order)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def load_array(path: Path) -> np.ndarray:
    """Memory-mapped when it can be (numpy cannot map an empty array)."""
    try:
        return np.load(path, mmap_mode="r")
    except ValueError:
        return np.load(path)


class StringTable:
    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self._blob = blob
        self._offsets = offsets

    @staticmethod
    def write(folder: Path, name: str, strings: Iterable[str], sort: bool = False) -> list[str]:
        """Write `name.blob.npy` and `name.offsets.npy`; return the strings in table order."""
        encoded = [s.encode("utf-8") for s in strings]
        if sort:
            encoded.sort()
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        np.save(folder / f"{name}.blob.npy", np.frombuffer(b"".join(encoded), dtype=np.uint8))
        np.save(folder / f"{name}.offsets.npy", offsets)
        return [b.decode("utf-8") for b in encoded]

    @classmethod
    def open(cls, folder: Path, name: str) -> StringTable:
        return cls(load_array(folder / f"{name}.blob.npy"), load_array(folder / f"{name}.offsets.npy"))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _bytes(self, i: int) -> bytes:
        return self._blob[int(self._offsets[i]):int(self._offsets[i + 1])].tobytes()

    def __getitem__(self, i: int) -> str:
        return self._bytes(i).decode("utf-8")

    def find(self, text: str) -> int:
        """Position of `text` in a sorted table, or -1."""
        key = text.encode("utf-8")
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self._bytes(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low if low < len(self) and self._bytes(low) == key else -1
