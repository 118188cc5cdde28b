"""e5 with its query side tuned for English questions over Chinese sentences (issue 12).

The answerer scores an English question against the build's Chinese sentence vectors with
e5's cosine. e5 ranks the sentence holding the answer first for fewer English questions than
Chinese ones (0.70 vs 0.77 on XQuAD), so `make train-answers` (benchmarks/question_tuning.py)
tunes a LoRA adapter on e5's transformer layers with XQuAD's English questions against those
fixed sentence vectors. The passage side is untouched: no index changes, and the tuned model
only ever embeds questions.

The adapter (peft's two files, about 2 MB) is versioned in `english_questions/` next to
this module. The model the app runs is the base folder with the adapter merged in, exported
to OpenVINO once into `<data_dir>/models/multilingual-e5-small-english-questions-openvino`
(openvino_export.py, 20-60 s, needs torch and peft) and rebuilt when the adapter changes.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.vector.e5.atomic_folder import ensure_folder
from index.vector.e5.model_folder import MODEL_NAME, ensure_model_folder, load_encoder
from index.vector.e5.openvino_export import expected_export_marker, export_openvino, is_current_export

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

ADAPTER_DIR = Path(__file__).with_name("english_questions")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")

TUNED_MODEL_NAME = f"{MODEL_NAME}-english-questions"


def adapter_digest(adapter: Path) -> str:
    """What identifies an adapter: a new one (a retrained model) gets a new export."""
    digest = hashlib.sha256()
    for name in ADAPTER_FILES:
        digest.update((adapter / name).read_bytes())
    return digest.hexdigest()[:16]


def has_adapter(adapter: Path = ADAPTER_DIR) -> bool:
    return all((adapter / name).is_file() for name in ADAPTER_FILES)


def tuned_export_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"{TUNED_MODEL_NAME}-openvino"


def expected_tuned_marker(adapter: Path) -> dict[str, Any]:
    return {**expected_export_marker(), "adapter": adapter_digest(adapter)}


def ensure_tuned_export(data_dir: Path, adapter: Path = ADAPTER_DIR) -> Path:
    """The OpenVINO export of e5 with `adapter` merged, built first when missing or stale."""
    source = ensure_model_folder(data_dir)
    expected = expected_tuned_marker(adapter)
    return ensure_folder(tuned_export_folder(data_dir), lambda folder: is_current_export(folder, expected),
                         lambda target: export_openvino(source, target, adapter, expected))


def load_tuned_encoder(data_dir: Path, adapter: Path = ADAPTER_DIR) -> SentenceTransformer:
    """The torch reference: the converted folder with `adapter` loaded and merged."""
    from peft import PeftModel

    model = load_encoder(data_dir)
    transformer: Any = model[0]
    transformer.model = PeftModel.from_pretrained(transformer.model, str(adapter)).merge_and_unload()
    return model
