"""Write results into docs/BENCHMARKS.md, one marked section per benchmark and run kind.

A section is the text between `<!-- bench:KEY -->` and `<!-- /bench:KEY -->` (KEY such as
`quick:xquad`); a run replaces only its own sections, so the quick and the full run
keep each other's numbers, and everything outside the markers (method, conclusions) is
left alone. Missing sections are added under a "## <Kind> run" heading.
"""
from __future__ import annotations

import re
from pathlib import Path

from benchmarks.workspace import REPO_ROOT

REPORT = REPO_ROOT / "docs" / "BENCHMARKS.md"
HEADINGS = {"quick": "## Quick run (`make bench`)", "full": "## Full run (`make bench-full`)"}


def _markers(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"


def update_section(text: str, variant: str, name: str, title: str, body: str) -> str:
    start, end = _markers(f"{variant}:{name}")
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    heading = HEADINGS[variant]
    if heading not in text:
        text = text.rstrip() + f"\n\n{heading}\n"
    # Insert at the end of this run's part: before the next "## " heading, or at the end.
    at = text.index(heading) + len(heading)
    following = re.search(r"^## ", text[at:], re.M)
    cut = at + following.start() if following else len(text)
    insert = f"\n### {title}\n\n{block}\n"
    return text[:cut].rstrip() + "\n" + insert + ("\n" + text[cut:] if following else "\n")


def write_sections(variant: str, sections: list[tuple[str, str, str]], path: Path = REPORT) -> None:
    """sections: (name, title, markdown body), written in order."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    for name, title, body in sections:
        text = update_section(text, variant, name, title, body)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
