"""Reading settings from environment variables: the parsing rules, shared by every settings object."""
from __future__ import annotations

import os


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_switch(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("0", "off", "false", "no")


def second_encoder_enabled() -> bool:
    """SECOND_ENCODER (default on): build USE vectors and fuse them for cross-lingual queries."""
    return env_switch("SECOND_ENCODER", True)


EMBEDDING_BACKENDS = ("openvino", "torch", "int8")


def embedding_backend() -> str:
    """EMBEDDING_BACKEND (default openvino): how e5 runs. `openvino` is the export of
    e5/openvino_export.py (2.5-4.5x faster on CPUs, cosine >= 0.9999 to torch);
    `torch` is sentence-transformers on the converted folder, the reference; `int8` is
    onnxruntime's dynamic int8 quantisation (e5/int8_export.py; its vectors are cached
    under their own model name, never mixed with fp32 ones), opt-in: it loses ~3 points of
    English->Chinese XQuAD recall (docs/BENCHMARKS.md, int8 e5)."""
    value = os.environ.get("EMBEDDING_BACKEND", "").strip().lower() or "openvino"
    if value not in EMBEDDING_BACKENDS:
        raise ValueError(f"EMBEDDING_BACKEND must be one of {', '.join(EMBEDDING_BACKENDS)}, not {value!r}")
    return value
