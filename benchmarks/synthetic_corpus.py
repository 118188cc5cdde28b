"""A corpus of any size from real sentences, for the scale benchmark.

The machine has no large Chinese news corpus, so documents are assembled from the
sentences of the XQuAD paragraphs (zh and en) and the two bundled articles: shuffled
into new paragraphs, with every other number redrawn, and given a title, a date, a
source and a district like the real corpus. The vocabulary, sentence lengths and
language mix are those of real text (about 80 % Chinese documents), so jieba, Whoosh
and the splitter do real work; the documents are not meant to make sense.

Generation stops once `split_passages` has produced the target number of passages, so
"10k" means 10,000 passages as the index sees them (give or take one document).
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from benchmarks.workspace import BUNDLED_CORPUS, EVAL_DATA
from index import document_from_record, load_corpus, split_passages, split_sentences

GENERATOR_VERSION = 1  # bump when the output changes, so cached corpora are regenerated
CHINESE_SHARE = 0.8
SOURCES = ("江门日报", "新会报", "江门发布", "Jiangmen Daily (EN)")
DISTRICTS = ("蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市", "恩平市")
_NUMBER = re.compile(r"\d+")


def sentence_pools() -> dict[str, list[str]]:
    """Real sentences by language (short fragments dropped: they make odd paragraphs)."""
    pools: dict[str, list[str]] = {"zh": [], "en": []}
    for lang in ("zh", "en"):
        data = json.loads((EVAL_DATA / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                pools[lang] += [s.text for s in split_sentences(paragraph["context"]) if len(s.text) >= 12]
    for doc in load_corpus([BUNDLED_CORPUS]).documents:
        pools[doc.lang] += [s.text for b in doc.blocks if b.kind == "paragraph"
                            for s in split_sentences(b.text) if len(s.text) >= 12]
    return pools


def _vary_numbers(text: str, rng: random.Random) -> str:
    """Redraw about half the numbers (same digit count), so figures differ between copies."""
    def redraw(match: re.Match[str]) -> str:
        digits = match.group()
        if rng.random() < 0.5:
            return digits
        first = str(rng.randint(1, 9)) if len(digits) > 1 else str(rng.randint(0, 9))
        return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])
    return _NUMBER.sub(redraw, text)


def make_document(n: int, pools: dict[str, list[str]], rng: random.Random) -> dict:
    lang = "zh" if rng.random() < CHINESE_SHARE else "en"
    glue = "" if lang == "zh" else " "
    pool = pools[lang]
    paragraphs = [
        glue.join(_vary_numbers(rng.choice(pool), rng) for _ in range(rng.randint(2, 5)))
        for _ in range(rng.randint(2, 6))
    ]
    title = rng.choice(pool)[:28].rstrip("，,。. ")
    year = rng.randint(2019, 2024)
    return {
        "id": f"syn-{n:06d}",
        "title": title,
        "text": "\n\n".join(paragraphs),
        "lang": lang,
        "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "source": SOURCES[3] if lang == "en" else rng.choice(SOURCES[:3]),
        "district": rng.choice(DISTRICTS),
    }


def generate(target_passages: int, seed: int = 0) -> tuple[list[dict], int]:
    """Documents whose passages add up to at least `target_passages`, and that count."""
    rng = random.Random(seed)
    pools = sentence_pools()
    documents: list[dict] = []
    passages = 0
    while passages < target_passages:
        record = make_document(len(documents), pools, rng)
        passages += len(split_passages(document_from_record(record)))
        documents.append(record)
    return documents, passages


def corpus_folder(root: Path, target_passages: int, seed: int = 0) -> tuple[Path, int]:
    """A folder holding the corpus as one JSONL file, generated once and reused."""
    folder = root / f"corpus-{target_passages}-s{seed}-v{GENERATOR_VERSION}"
    path = folder / "synthetic.jsonl"
    count_file = folder / "passages.txt"
    if path.is_file() and count_file.is_file():
        return folder, int(count_file.read_text())
    documents, passages = generate(target_passages, seed)
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in documents:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    count_file.write_text(str(passages))
    return folder, passages
