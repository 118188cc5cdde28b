"""Large generated documents in several scripts, for the hostile-upload tests.

Words are drawn from a seeded pool of random "words" of each script, so the text has the
shape of prose (words, sentences, paragraphs) without being any real language: what the
splitter and the encoders see is what a large real upload would give them.
"""
from __future__ import annotations

import random

_ALPHABETS = {
    "latin": ("abcdefghijklmnopqrstuvwxyz", 2, 10, " ", ". ", ", "),
    "cyrillic": ("абвгдежзийклмнопрстуфхцчшщыэюя", 2, 10, " ", ". ", ", "),
    "hangul": ("".join(chr(c) for c in range(0xAC00, 0xAC00 + 2000)), 1, 4, " ", ". ", ", "),
    "cjk": ("".join(chr(c) for c in range(0x4E00, 0x4E00 + 3000)), 1, 3, "", "。", "，"),
}
SCRIPTS = tuple(_ALPHABETS)


def large_text(script: str, size_bytes: int, seed: int = 0) -> str:
    """About `size_bytes` of UTF-8 prose in `script` ("run-of-a": one endless word)."""
    if script == "run-of-a":
        return "a" * size_bytes
    alphabet, shortest, longest, space, full_stop, comma = _ALPHABETS[script]
    rng = random.Random(seed)
    pool = ["".join(rng.choices(alphabet, k=rng.randint(shortest, longest))) for _ in range(3000)]
    paragraphs: list[str] = []
    total = 0
    while total < size_bytes:
        sentences = []
        for _ in range(rng.randint(3, 10)):
            clause = space.join(rng.choices(pool, k=rng.randint(5, 15)))
            more = space.join(rng.choices(pool, k=rng.randint(0, 15)))
            sentences.append(clause + (comma + more if more else "") + full_stop)
        paragraph = "".join(sentences).strip() + "\n\n"
        paragraphs.append(paragraph)
        total += len(paragraph.encode("utf-8"))
    return "".join(paragraphs).encode("utf-8")[:size_bytes].decode("utf-8", "ignore")
