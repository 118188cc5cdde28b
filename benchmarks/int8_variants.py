"""int8 variants of e5-small, built from the converted folder for the int8 benchmark.

sentence-transformers' own helpers (`export_dynamic_quantized_onnx_model`,
`export_static_quantized_openvino_model`) go through optimum-onnx / optimum-intel, which
pin transformers below ours (../shared/MODELS.md), so this does what they do underneath
with the libraries themselves:

- `onnx-int8`: `torch.onnx.export` of the eager BertModel, then onnxruntime's
  `quantize_dynamic` (int8 per-channel weights, activations quantised per batch at run
  time), which is what the helper's avx2 / avx512_vnni configs ask of onnxruntime.
- `ov-int8`: NNCF post-training quantisation of the OpenVINO export (weights and
  activations int8, `ModelType.TRANSFORMER` keeps softmax/LayerNorm/GELU in float),
  calibrated on passages and questions that are not XQuAD's.
- `ov-int8-weights`: NNCF weight-only int8 (data-free): int8 weights, float compute.

Each lives in `<data_dir>/models/multilingual-e5-small-<variant>/` with the tokenizer files,
and each embeds like the OpenVINO runtime: tokenizer, model, masked mean, L2.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index import E5_MODEL_NAME as MODEL_NAME
from index import MODEL_XML, TOKENIZER_FILES, OpenVinoEmbedder, ensure_model_folder, ensure_openvino_export

ONNX_FP32 = "model.onnx"
ONNX_INT8 = "model_int8.onnx"


def variant_folder(data_dir: Path, variant: str) -> Path:
    return Path(data_dir) / "models" / f"{MODEL_NAME}-{variant}"


def _copy_tokenizer(source: Path, target: Path) -> None:
    for name in TOKENIZER_FILES:
        (target / name).write_bytes((source / name).read_bytes())


def ensure_onnx_int8(data_dir: Path) -> Path:
    folder = variant_folder(data_dir, "onnx-int8")
    if (folder / ONNX_INT8).is_file():
        return folder
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    source = ensure_model_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    example = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            _LastHiddenState(model), (example, example), str(folder / ONNX_FP32),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    # MatMul only: the embedding Gather stays float (quantising it costs quality for no speed).
    quantize_dynamic(str(folder / ONNX_FP32), str(folder / ONNX_INT8), per_channel=True,
                     weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    _copy_tokenizer(source, folder)
    return folder


def ensure_ov_int8(data_dir: Path, calibration: Sequence[str]) -> Path:
    """Full int8 (weights and activations) by NNCF, calibrated on `calibration` (already prompted)."""
    folder = variant_folder(data_dir, "ov-int8")
    if (folder / MODEL_XML).is_file():
        return folder
    import nncf
    import openvino as ov

    source = ensure_openvino_export(data_dir)
    embedder = OpenVinoEmbedder(source)
    graph = ov.Core().read_model(str(source / MODEL_XML))
    samples = []
    for start in range(0, len(calibration), 8):
        encodings = embedder.tokenizer.encode_batch(list(calibration[start:start + 8]))
        samples.append({
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        })
    quantized = nncf.quantize(graph, nncf.Dataset(samples), model_type=nncf.ModelType.TRANSFORMER,
                              preset=nncf.QuantizationPreset.MIXED, subset_size=len(samples))
    folder.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(folder / MODEL_XML), compress_to_fp16=False)
    _copy_tokenizer(source, folder)
    return folder


def ensure_ov_int8_weights(data_dir: Path) -> Path:
    folder = variant_folder(data_dir, "ov-int8-weights")
    if (folder / MODEL_XML).is_file():
        return folder
    import nncf
    import openvino as ov

    source = ensure_openvino_export(data_dir)
    graph = ov.Core().read_model(str(source / MODEL_XML))
    compressed = nncf.compress_weights(graph, mode=nncf.CompressWeightsMode.INT8_ASYM)
    folder.mkdir(parents=True, exist_ok=True)
    ov.save_model(compressed, str(folder / MODEL_XML), compress_to_fp16=False)
    _copy_tokenizer(source, folder)
    return folder


class OnnxEmbedder(OpenVinoEmbedder):
    """The OpenVINO runtime's tokenizer and pooling around an onnxruntime session."""

    def __init__(self, folder: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        super().__init__(folder, threads, model_file=None)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(folder / ONNX_INT8), options, providers=["CPUExecutionProvider"])

    def forward_batches(self) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        session = self._session  # run() is thread-safe
        return lambda ids, mask: np.asarray(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])


class OpenVinoFp32Embedder(OpenVinoEmbedder):
    """The OpenVINO export forced to fp32 (on CPUs with bf16 the default is bf16)."""

    def compile_config(self) -> dict[str, Any]:
        return {**super().compile_config(), "INFERENCE_PRECISION_HINT": "f32"}


def _last_hidden_state_class() -> Any:
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return LastHiddenState


def _LastHiddenState(model: Any) -> Any:  # noqa: N802 (a class made lazily, used like one)
    return _last_hidden_state_class()(model)

