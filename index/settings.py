"""Library settings from environment variables, with documented defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .engine import SearchConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


@dataclass(frozen=True)
class IndexSettings:
    data_dir: Path  # DATA_DIR: every built artifact (default ./data)
    corpus_dir: Path  # CORPUS_DIR: the documents to index (default ./corpus, the bundled corpus)
    keyword_weight: float = SearchConfig.keyword_weight  # FUSION_KEYWORD_WEIGHT
    vector_weight: float = SearchConfig.vector_weight  # FUSION_VECTOR_WEIGHT

    @classmethod
    def from_env(cls) -> IndexSettings:
        return cls(
            data_dir=Path(os.environ.get("DATA_DIR") or "data"),
            corpus_dir=Path(os.environ.get("CORPUS_DIR") or REPO_ROOT / "corpus"),
            keyword_weight=env_float("FUSION_KEYWORD_WEIGHT", SearchConfig.keyword_weight),
            vector_weight=env_float("FUSION_VECTOR_WEIGHT", SearchConfig.vector_weight),
        )

    def search_config(self) -> SearchConfig:
        return SearchConfig(keyword_weight=self.keyword_weight, vector_weight=self.vector_weight)
