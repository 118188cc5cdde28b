"""One decision per question, whatever its language: do a qa_set question's Chinese, English
and traditional-Chinese forms get the same answer?

    python -m benchmarks.qa_agreement      (prints qa_eval's table, then this one; `make bench`
                                            writes both into docs/BENCHMARKS.md, section 2)

qa_set pairs a zh and an en question by id number (a01-zh / a01-en). The traditional form
is OpenCC s2hk of the zh question, as a Hong Kong reader would type it (issue 12). Two
answers *cite the same sentence* when both answer and their first citation is the same span
of the same document; they *decide alike* when they cite the same sentence or both abstain.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.qa_eval import QaRun, answer_right, qa_table, run_qa
from benchmarks.tables import Table
from index import Answer, ask, to_traditional

Span = tuple[str, int, int] | None  # (doc_id, start, end) of the first citation; None = abstained


@dataclass(frozen=True)
class Forms:
    """One qa_set question number in each of its forms."""

    number: str  # "a01", "u03"
    answerable: bool
    zh: Answer
    en: Answer
    hant: Answer


def first_citation(answer: Answer) -> Span:
    if not answer.answered or not answer.citations:
        return None
    c = answer.citations[0]
    return c.doc_id, c.start, c.end


def same_sentence(a: Answer, b: Answer) -> bool:
    return first_citation(a) is not None and first_citation(a) == first_citation(b)


def decide_alike(a: Answer, b: Answer) -> bool:
    return first_citation(a) == first_citation(b)


def same_answer(a: Answer, b: Answer) -> bool:
    """Everything the reader is given: answered or not, every citation, the passages listed."""
    def shape(x: Answer) -> tuple:
        return (x.answered, [(c.doc_id, c.start, c.end) for c in x.citations], [h.passage.id for h in x.passages])
    return shape(a) == shape(b)


def collect_forms(run: QaRun) -> list[Forms]:
    """Pairs the run's answers by question number and asks each zh question's s2hk form."""
    by_id = {q.id: (q, a) for q, a in zip(run.questions, run.answers)}
    forms = []
    for qid, (question, zh_answer) in by_id.items():
        number, _, lang = qid.rpartition("-")
        if lang != "zh" or f"{number}-en" not in by_id:
            continue
        hant = ask(run.engine, to_traditional(question.text, "s2hk"))
        forms.append(Forms(number, question.answerable, zh_answer, by_id[f"{number}-en"][1], hant))
    return forms


def agreement_table(run: QaRun) -> Table:
    forms = collect_forms(run)
    answerable = [f for f in forms if f.answerable]
    table = Table(
        "qa_set: one decision per question across zh, en and zh-Hant (OpenCC s2hk of the zh question)",
        ["forms compared", "same cited sentence (answerable pairs)", "decide alike (all pairs)",
         "identical answer (all pairs)"],
    )

    def share(items: list[Forms], test: Callable[[Forms], bool]) -> str:
        hits = sum(test(f) for f in items)
        return f"{hits}/{len(items)} = {hits / len(items):.2f}" if items else "–"

    table.add("zh = en", share(answerable, lambda f: same_sentence(f.zh, f.en)),
              share(forms, lambda f: decide_alike(f.zh, f.en)), "–")
    table.add("zh = zh-Hant", share(answerable, lambda f: same_sentence(f.zh, f.hant)),
              share(forms, lambda f: decide_alike(f.zh, f.hant)), share(forms, lambda f: same_answer(f.zh, f.hant)))
    table.add("zh = en = zh-Hant", share(answerable, lambda f: same_sentence(f.zh, f.en) and same_sentence(f.zh, f.hant)),
              share(forms, lambda f: decide_alike(f.zh, f.en) and decide_alike(f.zh, f.hant)), "–")
    hant_right = sum(answer_right(run, q, f.hant) for f in answerable
                     for q in run.questions if q.id == f"{f.number}-zh")
    zh_right = sum(answer_right(run, q, f.zh) for f in answerable for q in run.questions if q.id == f"{f.number}-zh")
    hant_answered = sum(f.hant.answered for f in answerable)
    hant_abstained = sum(not f.hant.answered for f in forms if not f.answerable)
    unanswerable = len(forms) - len(answerable)
    table.notes += [
        f"{len(forms)} question numbers ({len(answerable)} answerable, {unanswerable} unanswerable), each asked as "
        "written in zh and en and as OpenCC s2hk of the zh question.",
        f"zh-Hant answered {hant_answered}/{len(answerable)} answerable questions, {hant_right} correctly "
        f"(zh: {zh_right}); abstained on {hant_abstained}/{unanswerable} unanswerable ones.",
        "'same cited sentence': both answer and cite the same span first; 'decide alike': that, or both abstain; "
        "'identical answer': answered or not, every citation and every listed passage the same.",
    ]
    return table


def main() -> None:
    started = time.perf_counter()
    run = run_qa()
    print(qa_table(run).to_text())
    print(agreement_table(run).to_text())
    print(f"({time.perf_counter() - started:.0f}s)")


if __name__ == "__main__":
    main()
