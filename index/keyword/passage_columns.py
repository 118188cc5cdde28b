"""Per-passage columns (source, district, lang, date), one code per row of the keyword
index, so filters become a numpy mask and facet counts a bincount instead of a Whoosh
filter query and a Python loop over every match.

The columns are read from the Whoosh index's own ID fields (not from passages.jsonl), so
a row means the same passage here as in Whoosh and a filter matches exactly what
`whoosh_index.filter_query` matches: a term equal to the value, and for dates every term
in the inclusive range, compared as strings as Whoosh's TermRange does."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.reading import IndexReader

from index.filters import date_bounds
from index.keyword.string_table import load_array
from index.models import SearchFilters

COLUMNS = ("source", "district", "lang", "date")
VALUES_FILE = "columns.json"


@dataclass(frozen=True)
class MatchCounts:
    """How many matched passages have each source, district and year (of their date)."""

    counted: int
    source: dict[str, int]
    district: dict[str, int]
    year: dict[str, int]


@dataclass(frozen=True)
class PassageColumns:
    codes: dict[str, np.ndarray]  # column -> int32 per row: index into values[column], -1 for none
    values: dict[str, list[str]]  # column -> its distinct values, sorted

    @classmethod
    def from_whoosh(cls, reader: IndexReader, rows: int) -> PassageColumns:
        codes: dict[str, np.ndarray] = {}
        values: dict[str, list[str]] = {}
        for column in COLUMNS:
            postings = dict(_id_postings(reader, column))
            values[column] = sorted(postings)
            codes[column] = np.full(rows, -1, dtype=np.int32)
            for code, value in enumerate(values[column]):
                codes[column][postings[value]] = code
        return cls(codes, values)

    def write(self, folder: Path) -> None:
        for column, codes in self.codes.items():
            np.save(folder / f"column-{column}.npy", codes)
        (folder / VALUES_FILE).write_text(json.dumps(self.values, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def open(cls, folder: Path) -> PassageColumns:
        values = json.loads((folder / VALUES_FILE).read_text(encoding="utf-8"))
        return cls({c: load_array(folder / f"column-{c}.npy") for c in COLUMNS}, values)

    def mask(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Rows passing the filters (None: no filter). Raises BadFilter like date_bounds."""
        if filters is None or filters.is_empty():
            return None
        keep: np.ndarray | None = None
        for column, value in (("source", filters.source), ("district", filters.district)):
            if value:
                keep = _and(keep, self.codes[column] == self._code(column, value))
        low, high = date_bounds(filters)
        if low or high:
            in_range = [i for i, v in enumerate(self.values["date"])
                        if (low is None or v >= low) and (high is None or v <= high)]
            keep = _and(keep, np.isin(self.codes["date"], np.array(in_range, dtype=np.int32)))
        return keep

    def _code(self, column: str, value: str) -> int:
        try:
            return self.values[column].index(value)
        except ValueError:
            return -2  # matches no row (-1 is "no value")

    def counts(self, rows: np.ndarray) -> MatchCounts:
        """Counts over `rows` (indices of the matched passages)."""
        by_value = {c: self._bincount(c, rows) for c in ("source", "district", "date")}
        years: dict[str, int] = {}
        for day, n in by_value["date"].items():
            if day[:4].isdigit():
                years[day[:4]] = years.get(day[:4], 0) + n
        return MatchCounts(len(rows), by_value["source"], by_value["district"], years)

    def _bincount(self, column: str, rows: np.ndarray) -> dict[str, int]:
        values = self.values[column]
        codes = self.codes[column][rows]
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        return {values[i]: int(counts[i]) for i in np.flatnonzero(counts) if values[i]}


def _and(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
    return other if mask is None else mask & other


def _id_postings(reader: IndexReader, field: str) -> Iterator[tuple[str, np.ndarray]]:
    """Each value of an ID field with the (global) rows holding it; deleted rows left out."""
    found: dict[str, list[np.ndarray]] = {}
    for leaf, base in reader.leaf_readers():
        for btext in leaf.lexicon(field):
            ids = np.fromiter(leaf.postings(field, btext).all_ids(), dtype=np.int64)
            ids = ids[[not leaf.is_deleted(int(i)) for i in ids]] if leaf.has_deletions() else ids
            found.setdefault(btext.decode("utf-8"), []).append(ids + base)
    for value, parts in found.items():
        yield value, np.concatenate(parts)
