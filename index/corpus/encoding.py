"""Text files in the encodings a Chinese archive holds: UTF-8, UTF-16/32 with a byte-order
mark, and the legacy GB18030 (which contains GBK and GB2312) and Big5.

charset-normalizer decides between the legacy ones. It is held to those two: let loose on
every code page it reads four GBK characters as Korean (cp949) and a Latin-1 file as
Central European, and text that is neither should be refused, not guessed into mojibake.
"""
from __future__ import annotations

import codecs

import charset_normalizer

LEGACY_ENCODINGS = ("gb18030", "big5")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its mark starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class NotText(ValueError):
    """Bytes that are not text in an encoding we read; the message is shown to the user."""


def decode_text(raw: bytes) -> tuple[str, str]:
    """(text, encoding name) of a text file's bytes; NotText says why they are not text."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise NotText(f"not {encoding.upper()} text despite its byte-order mark "
                              f"(bad byte at offset {exc.start})") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if b"\x00" in raw:  # UTF-16 without a mark, or not text at all: either way, not guessed
        raise NotText("binary file (contains NUL bytes)")
    best = charset_normalizer.from_bytes(raw, cp_isolation=list(LEGACY_ENCODINGS)).best()
    if best is None:
        raise NotText(f"not UTF-8 text (bad byte at offset {utf8_error.start}), "
                      "nor GB18030, Big5 or UTF-16 with a byte-order mark")
    return str(best), best.encoding
