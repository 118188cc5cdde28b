"""multilingual-e5-small with int8 weights: onnxruntime's dynamic quantisation, built once.

sentence-transformers' `export_dynamic_quantized_onnx_model` needs optimum-onnx, which pins
transformers below ours (../shared/MODELS.md), so this does what it asks of onnxruntime
itself: `torch.onnx.export` of the converted folder's eager `BertModel`, then
`quantize_dynamic` with int8 per-channel weights on every MatMul (activations are
quantised per batch at run time). The embedding table stays float: quantising its Gather
saves disk, not time. Data-free: no calibration set, nothing from a hub.

Lives in `<data_dir>/models/multilingual-e5-small-int8/`, rebuilt like the other model
folders when its source, onnxruntime or this recipe changes. Building takes 1-3 min and
needs torch and onnx; serving from it needs onnxruntime and `tokenizers` only.
"""
from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

from index.vector.e5.atomic_folder import ensure_folder, fsync_tree
from index.vector.e5.model_folder import MODEL_NAME, ensure_model_folder, expected_marker
from index.vector.e5.openvino_export import TOKENIZER_FILES, _with_positional_inputs

# Bump when the recipe changes: older exports are then rebuilt on the next start.
EXPORT_VERSION = 1
MODEL_ONNX = "model_int8.onnx"
MARKER_FILE = "export.json"
INT8_MODEL_NAME = f"{MODEL_NAME}-int8"


def int8_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / INT8_MODEL_NAME


def expected_int8_marker() -> dict[str, Any]:
    return {
        "export_version": EXPORT_VERSION,
        "onnxruntime": importlib.metadata.version("onnxruntime"),
        "source": expected_marker(),
    }


def is_current_int8(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    files = (MODEL_ONNX, *TOKENIZER_FILES)
    return marker == expected_int8_marker() and all((folder / name).is_file() for name in files)


def ensure_int8_export(data_dir: Path) -> Path:
    """The int8 folder, built first (from the converted folder, itself built if needed)
    when it is missing or stale."""
    source = ensure_model_folder(data_dir)
    return ensure_folder(int8_folder(data_dir), is_current_int8, lambda target: export_int8(source, target))


def export_int8(source: Path, target: Path) -> None:
    """Export the sentence-transformers folder `source` to ONNX and quantise it into
    `target` (created). Inputs `input_ids` and `attention_mask` ([batch, tokens], int64,
    dynamic); output the last hidden state, pooled by the runtime. The marker is last."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    # Eager attention exports to plain MatMul/Softmax, which quantize_dynamic can reach.
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    target.mkdir(parents=True)
    float_model = target / "model_fp32.onnx"
    example = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        # The TorchScript exporter (dynamo=False): the dynamo one needs onnxscript and
        # gave no better graph for this model.
        torch.onnx.export(
            _with_positional_inputs(model), (example, example), str(float_model),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    quantize_dynamic(str(float_model), str(target / MODEL_ONNX), per_channel=True,
                     weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    float_model.unlink()  # 470 MB nobody reads again
    for name in TOKENIZER_FILES:
        (target / name).write_bytes((source / name).read_bytes())
    (target / MARKER_FILE).write_text(json.dumps(expected_int8_marker(), indent=2), encoding="utf-8")
    fsync_tree(target)
