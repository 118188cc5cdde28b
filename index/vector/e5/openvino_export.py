"""multilingual-e5-small as an OpenVINO model, exported once from the converted folder.

sentence-transformers' own `backend="openvino"` needs optimum-intel, which pins
transformers below ours, so the export is done here: the folder's `BertModel` is traced by
`openvino.convert_model` (straight from torch: no ONNX step or package is needed) and saved
with float16 weights under `<data_dir>/models/multilingual-e5-small-openvino/`, next to the
converted folder and like it rebuilt when its source, OpenVINO or this recipe changes.
Building takes 20-60 s and needs torch; serving from it needs neither torch nor
transformers (openvino_runtime.py).
"""
from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

from index.vector.e5.atomic_folder import ensure_folder, fsync_tree
from index.vector.e5.model_folder import MODEL_NAME, ensure_model_folder, expected_marker

# Bump when the export recipe changes: older exports are then rebuilt on the next start.
EXPORT_VERSION = 2  # 2: fp16 weights on disk
MODEL_XML = "model.xml"  # the graph; its weights are model.bin beside it
MARKER_FILE = "export.json"
# Copied from the converted folder: the runtime needs them and not the float32 weights.
TOKENIZER_FILES = ("tokenizer.json", "sentence_bert_config.json", "config_sentence_transformers.json")


def export_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / f"{MODEL_NAME}-openvino"


def expected_export_marker() -> dict[str, Any]:
    return {
        "export_version": EXPORT_VERSION,
        "openvino": importlib.metadata.version("openvino"),
        "source": expected_marker(),
    }


def is_current_export(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = (MODEL_XML, "model.bin", *TOKENIZER_FILES)
    return marker == expected_export_marker() and all((folder / name).is_file() for name in files)


def ensure_openvino_export(data_dir: Path) -> Path:
    """The export folder, built first (from the converted folder, itself built if needed)
    when it is missing or stale."""
    source = ensure_model_folder(data_dir)
    return ensure_folder(export_folder(data_dir), is_current_export, lambda target: export_openvino(source, target))


def export_openvino(source: Path, target: Path) -> None:
    """Trace the sentence-transformers folder `source` into an OpenVINO model in `target`
    (created). Inputs `input_ids` and `attention_mask` ([batch, tokens], int64, both
    dynamic); output the last hidden state, pooled by the runtime. The marker is written
    last: its presence means the export finished."""
    import openvino as ov
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention traces into plain MatMul/Softmax that OpenVINO fuses; SDPA does not.
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    example = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad():
        graph = ov.convert_model(_with_positional_inputs(model), example_input=(example, example))
    target.mkdir(parents=True)
    for name, port in zip(("input_ids", "attention_mask"), graph.inputs):
        port.get_tensor().set_names({name})
    # fp16 on disk only: the CPU plugin widens them to its inference precision when it
    # compiles (vectors at cosine 1.00000 to the fp32 file in fp32, the same as it in bf16),
    # and every process maps the weights file: 235 MB instead of 470 took the PSS of two
    # gunicorn workers at 50k passages from 1,546 to 1,340 MiB (docs/BENCHMARKS.md).
    ov.save_model(graph, str(target / MODEL_XML), compress_to_fp16=True)
    for name in TOKENIZER_FILES:
        (target / name).write_bytes((source / name).read_bytes())
    (target / MARKER_FILE).write_text(json.dumps(expected_export_marker(), indent=2), encoding="utf-8")
    fsync_tree(target)


def _with_positional_inputs(model: Any) -> Any:
    """`model` taking positional inputs and giving one output, as tracing wants (torch is
    imported lazily, so the class is made here)."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return LastHiddenState()
