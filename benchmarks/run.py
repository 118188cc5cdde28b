"""The benchmark suite: `python -m benchmarks.run --quick` (under 5 minutes once the model
and caches exist) or `--full`; prints every table and updates docs/BENCHMARKS.md.

quick: XQuAD on 300 questions per language, qa_set, fusion sweep, 1k-passage scale run.
full:  XQuAD on all 1,190 questions per language, qa_set, fusion sweep, 1k/10k/50k scale
       runs with baselines and gunicorn at every size.
"""
from __future__ import annotations

import argparse
import time
import traceback
from collections.abc import Callable

from benchmarks import machine, report  # noqa: E402
from benchmarks.compare import bm25_xquad_table  # noqa: E402
from benchmarks.fusion_sweep import answer_table, recommended, sweep, sweep_tables  # noqa: E402
from benchmarks.qa_agreement import agreement_table  # noqa: E402
from benchmarks.qa_eval import qa_table, run_qa  # noqa: E402
from benchmarks.scale import FULL, QUICK, run_scale, scale_tables  # noqa: E402
from benchmarks.tables import Table  # noqa: E402
from benchmarks.workspace import git_revision, shared_encoder, shared_second_encoder  # sets HF_HUB_OFFLINE first
from benchmarks.xquad import run_xquad, xquad_table  # noqa: E402
from index import SearchConfig  # noqa: E402

QUICK_XQUAD_QUESTIONS = 300


class Suite:
    """Collects sections; a failing benchmark is reported in its section, not fatal."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, str, str]] = []

    def add(self, name: str, title: str, make: Callable[[], list[Table]]) -> None:
        started = time.perf_counter()
        print(f"== {title}", flush=True)
        try:
            tables = make()
            body = "\n".join(t.to_markdown() for t in tables)
            for t in tables:
                print(t.to_text(), flush=True)
        except Exception:
            trace = traceback.format_exc()
            print(trace, flush=True)
            body = f"Failed in this run:\n\n```\n{trace[-2000:]}\n```\n"
        seconds = time.perf_counter() - started
        print(f"   ({seconds:.0f}s)\n", flush=True)
        self.sections.append((name, title, body + f"\n_({seconds:.0f}s)_\n"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--quick", action="store_true", help="the default")
    kind.add_argument("--full", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    args = parser.parse_args()
    variant = "full" if args.full else "quick"
    started = time.time()
    revision = git_revision()
    suite = Suite()
    state: dict = {}

    def xquad() -> list[Table]:
        state["xq"] = run_xquad(None if args.full else QUICK_XQUAD_QUESTIONS)
        return [xquad_table(state["xq"])]

    def qa() -> list[Table]:
        state["qa"] = run_qa()
        return [qa_table(state["qa"]), agreement_table(state["qa"])]

    def fusion() -> list[Table]:
        rows = sweep(state["xq"], state["qa"])
        configs = sorted({SearchConfig(), recommended(rows)}, key=repr)
        return [*sweep_tables(rows), answer_table(state["qa"].engine, configs)]

    def baselines() -> list[Table]:
        return [bm25_xquad_table(state["xq"])]

    def scale() -> list[Table]:
        return scale_tables(run_scale(FULL if args.full else QUICK))

    suite.add("xquad", "1. Cross-lingual retrieval on XQuAD", xquad)
    suite.add("qa", "2. Our question set (qa_set.jsonl)", qa)
    suite.add("fusion", "3. Fusion tuning, and answers at each setting", fusion)
    suite.add("scale", "4. Speed at scale, with the embedding, keyword and vector baselines (5)", scale)
    suite.add("keyword-baseline", "5. Keyword baseline quality (rank-bm25) on XQuAD", baselines)
    shared_encoder().save()
    second = shared_second_encoder()
    if hasattr(second, 'query_cache'):
        second.query_cache.save()
    sections = [("machine", "Machine and run", machine.describe(started, variant, revision))] + suite.sections
    if not args.no_write:
        report.write_sections(variant, sections)
        print(f"updated {report.REPORT}")
    print(f"total {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
