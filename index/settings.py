"""Library settings from environment variables, with documented defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from index.env import env_float, env_switch, second_encoder_enabled
from index.search.config import SearchConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class IndexSettings:
    data_dir: Path  # DATA_DIR: every built artifact (default ./data)
    corpus_dir: Path  # CORPUS_DIR: the documents to index (default ./corpus, the bundled corpus)
    keyword_weight: float = SearchConfig.keyword_weight  # FUSION_KEYWORD_WEIGHT
    vector_weight: float = SearchConfig.vector_weight  # FUSION_VECTOR_WEIGHT
    cross_keyword_weight: float = SearchConfig.cross_keyword_weight  # FUSION_CROSS_KEYWORD_WEIGHT
    # FUSION_SECOND_VECTOR_WEIGHT; 0 when SECOND_ENCODER=off
    second_vector_weight: float = SearchConfig.second_vector_weight
    lexicon: bool = SearchConfig.lexicon  # QUERY_LEXICON: CC-CEDICT terms for cross-lingual keyword search
    # KEYWORD_ACCELERATOR: off makes keyword search ask Whoosh itself (for comparison)
    keyword_accelerator: bool = SearchConfig.keyword_accelerator

    @classmethod
    def from_env(cls) -> IndexSettings:
        return cls(
            data_dir=Path(os.environ.get("DATA_DIR") or "data"),
            corpus_dir=Path(os.environ.get("CORPUS_DIR") or REPO_ROOT / "corpus"),
            keyword_weight=env_float("FUSION_KEYWORD_WEIGHT", SearchConfig.keyword_weight),
            vector_weight=env_float("FUSION_VECTOR_WEIGHT", SearchConfig.vector_weight),
            cross_keyword_weight=env_float("FUSION_CROSS_KEYWORD_WEIGHT", SearchConfig.cross_keyword_weight),
            second_vector_weight=(env_float("FUSION_SECOND_VECTOR_WEIGHT", SearchConfig.second_vector_weight)
                                  if second_encoder_enabled() else 0.0),
            lexicon=env_switch("QUERY_LEXICON", SearchConfig.lexicon),
            keyword_accelerator=env_switch("KEYWORD_ACCELERATOR", SearchConfig.keyword_accelerator),
        )

    def search_config(self) -> SearchConfig:
        return SearchConfig(keyword_weight=self.keyword_weight, vector_weight=self.vector_weight,
                            cross_keyword_weight=self.cross_keyword_weight,
                            second_vector_weight=self.second_vector_weight, lexicon=self.lexicon,
                            keyword_accelerator=self.keyword_accelerator)
