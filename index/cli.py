"""`python -m index build | add | put | delete | search | ask`: the library from the command line.

Exit status: 0 on success, 1 on failure, 2 when `build` skipped broken input files or `add`
refused its files (so scripts notice), 3 when `ask` found no answer in the corpus.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from index.answer.answerer import ask
from index.build.artifacts import DOCUMENTS_FILE
from index.build.builder import BuildError, BuildSummary, build_index
from index.build.derive import document_id
from index.build.incremental import IncrementalUpdate, delete_documents, put_documents
from index.build.reindex import run_pending_builds, start_reindex
from index.corpus.uploads import IngestError, UploadNotSaved, added_path, corpus_ids, ingest_files, read_uploads
from index.crosslingual.lexicon import load_lexicon
from index.models import SEARCH_MODES, SORT_ORDERS, SearchFilters
from index.search.engine import IndexNotBuilt, SearchEngine
from index.serialize import answer_json, search_json
from index.settings import IndexSettings
from index.storage.layout import BuildBusy, DataLayout

EXIT_SKIPPED = 2
EXIT_NO_ANSWER = 3
LOCAL_RAY = "local"  # `--ray` with no address


def main(argv: Sequence[str] | None = None) -> int:
    settings = IndexSettings.from_env()
    parser = _parser(settings)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args, settings))
    except (BuildError, IndexNotBuilt) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _parser(settings: IndexSettings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=settings.data_dir, help="data directory (env DATA_DIR; default ./data)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    # `--data` is accepted before or after the command; SUPPRESS keeps the subcommand's
    # absent flag from overwriting the global one.
    data_flag = argparse.ArgumentParser(add_help=False)
    data_flag.add_argument("--data", type=Path, default=argparse.SUPPRESS, help="data directory (env DATA_DIR)")

    build = commands.add_parser("build", parents=[data_flag], help="build the index from a corpus folder")
    build.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder (env CORPUS_DIR)")
    build.add_argument("--if-missing", action="store_true", help="do nothing when an index already exists")
    build.add_argument("--quiet", action="store_true", help="no progress bars")
    build.add_argument("--ray", nargs="?", const=LOCAL_RAY, metavar="ADDRESS",
                       help="parse and embed on a Ray cluster (ADDRESS as for `ray start --address`, "
                            "or 'auto'); without ADDRESS, on a local Ray (docs/DEPLOYING.md)")
    build.add_argument("--ray-workers", type=_positive_int, metavar="N",
                       help="embedding actors (default: the cluster's CPUs / --ray-worker-cpus)")
    build.add_argument("--ray-worker-cpus", type=float, default=1.0, metavar="C",
                       help="CPUs each embedding actor holds (default 1)")
    build.set_defaults(run=_run_build)

    add = commands.add_parser("add", parents=[data_flag], help="add documents (kept in DATA_DIR/added) and rebuild")
    add.add_argument("files", nargs="+", type=Path)
    add.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder (env CORPUS_DIR)")
    add.add_argument("--quiet", action="store_true")
    add.set_defaults(run=_run_add)

    reindex = commands.add_parser("reindex", parents=[data_flag],
                                  help="build while uploads are pending (what the admin API starts)")
    reindex.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder (env CORPUS_DIR)")
    reindex.add_argument("--force", action="store_true", help="build even if nothing is pending")
    reindex.set_defaults(run=_run_reindex)

    put = commands.add_parser("put", parents=[data_flag],
                              help="add or replace one document by id, updating the index in place (no rebuild)")
    put.add_argument("file", type=Path)
    put.add_argument("--id", required=True, help="the document's id (replaces the file's own)")
    put.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder (env CORPUS_DIR)")
    put.set_defaults(run=_run_put)

    delete = commands.add_parser("delete", parents=[data_flag],
                                 help="remove an added document by id, updating the index in place")
    delete.add_argument("id")
    delete.add_argument("--corpus", type=Path, default=settings.corpus_dir, help="corpus folder (env CORPUS_DIR)")
    delete.set_defaults(run=_run_delete)

    search = commands.add_parser("search", parents=[data_flag], help="hybrid search")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--mode", choices=SEARCH_MODES, default="hybrid")
    search.add_argument("--sort", choices=SORT_ORDERS, default="relevance", help="date: newest first")
    search.add_argument("--source")
    search.add_argument("--district")
    search.add_argument("--date-from")
    search.add_argument("--date-to")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(run=_run_search)

    ask = commands.add_parser("ask", parents=[data_flag], help="answer a question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print JSON")
    ask.set_defaults(run=_run_ask)
    return parser


def _run_build(args: argparse.Namespace, settings: IndexSettings) -> int:
    if args.if_missing and SearchEngine.has_index(args.data):
        print(f"index already built in {args.data}")
        return 0
    progress = None if args.quiet else _progress_bars()
    if args.ray is None:
        summary = build_index(args.corpus, args.data, progress=progress)
    else:
        # Imported here so a build without --ray never loads Ray.
        from index.build.distributed import RayOptions, RayRunner

        options = RayOptions(address=None if args.ray == LOCAL_RAY else args.ray,
                             workers=args.ray_workers, worker_cpus=args.ray_worker_cpus)
        with RayRunner.connect(options) as runner:
            summary = build_index(args.corpus, args.data, progress=progress, runner=runner)
    _print_summary(summary)
    # Derived once into DATA_DIR/models like the model folder, so a server's first start
    # (or a Docker image built with this command) does not spend seconds on it.
    load_lexicon(args.data)
    return EXIT_SKIPPED if summary.skipped else 0


def _run_add(args: argparse.Namespace, settings: IndexSettings) -> int:
    """The admin upload's rules, from a shell: all or nothing, DATA_DIR/added/<id>.md written
    and fsynced before the build, the corpus's own documents never replaced."""
    try:
        uploads = [(path.name, path.read_bytes()) for path in args.files]
    except OSError as exc:
        print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    try:
        documents = ingest_files(args.data, uploads, corpus_ids(args.corpus))
    except IngestError as exc:
        for problem in exc.problems:
            print(f"refused {problem}", file=sys.stderr)
        print("added nothing: fix or leave out the files above (an upload is all or nothing)")
        return EXIT_SKIPPED
    except UploadNotSaved as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"added {len(documents)} document(s): {', '.join(d.id for d in documents)}")
    builds = run_pending_builds(args.corpus, args.data, progress=None if args.quiet else _progress_bars(),
                                on_build=_print_summary)
    if not builds:
        print("a reindex already running will include them")
    return 0


def _run_put(args: argparse.Namespace, settings: IndexSettings) -> int:
    """The admin API's PUT from a shell: the upload's checks, then an incremental update."""
    try:
        content = args.file.read_bytes()
    except OSError as exc:
        print(f"error: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1
    documents, problems = read_uploads([(args.file.name, content)])
    if not problems and len(documents) != 1:
        problems = [f"{args.file.name}: holds {len(documents)} documents; put takes one"]
    protected = corpus_ids(args.corpus)
    if args.id in protected:
        problems.append(f"{args.id}: id belongs to a bundled corpus document and cannot be replaced")
    if problems:
        for problem in problems:
            print(f"refused {problem}", file=sys.stderr)
        return EXIT_SKIPPED
    try:
        return _apply_update(args, lambda: put_documents(
            args.data, [dataclasses.replace(documents[0], id=args.id)], protected))
    except IngestError as exc:
        for problem in exc.problems:
            print(f"refused {problem}", file=sys.stderr)
        return EXIT_SKIPPED


def _run_delete(args: argparse.Namespace, settings: IndexSettings) -> int:
    if args.id in corpus_ids(args.corpus):
        print(f"refused {args.id}: id belongs to a bundled corpus document (edit the corpus folder and rebuild)",
              file=sys.stderr)
        return EXIT_SKIPPED
    current = DataLayout(args.data).current_build()
    in_build = current is not None and any(
        document_id(line) == args.id for line in (current / DOCUMENTS_FILE).open(encoding="utf-8") if line.strip())
    if not in_build and not added_path(args.data, args.id).is_file():
        print(f"error: no document with id {args.id!r}", file=sys.stderr)
        return 1
    return _apply_update(args, lambda: delete_documents(args.data, [args.id]))


def _apply_update(args: argparse.Namespace, update_index: Callable[[], IncrementalUpdate]) -> int:
    """Run an incremental update; when a full build holds the index, queue the change behind it."""
    try:
        update = update_index()
    except UploadNotSaved as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BuildBusy:
        return _queue_full_reindex(args, args.id)
    _print_update(update)
    return 0


def _queue_full_reindex(args: argparse.Namespace, doc_id: str) -> int:
    start_reindex(args.corpus, args.data)
    print(f"{doc_id}: saved; a full build holds the index, so a full reindex will include the change")
    return 0


def _print_update(update: IncrementalUpdate) -> None:
    what = ", ".join([f"put {i}" for i in update.put] + [f"deleted {i}" for i in update.deleted])
    stages = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in update.stage_seconds.items())
    print(f"{what}: +{update.passages_added} -{update.passages_removed} passages "
          f"({update.embedded} texts embedded) in {update.seconds:.1f}s [{stages}] -> {update.build_dir}")


def _run_reindex(args: argparse.Namespace, settings: IndexSettings) -> int:
    builds = run_pending_builds(args.corpus, args.data, force=args.force)
    print(f"reindex: {builds} build(s)")
    return 0


def _run_search(args: argparse.Namespace, settings: IndexSettings) -> int:
    engine = SearchEngine(args.data, config=settings.search_config())
    filters = SearchFilters(args.source, args.district, args.date_from, args.date_to)
    result = engine.search(args.query, k=args.k, mode=args.mode, filters=filters, sort=args.sort)
    if args.json:
        print(json.dumps(search_json(result, args.k), ensure_ascii=False, indent=2))
        return 0
    print(f"{result.total} result(s) in {result.took_ms:.0f} ms")
    if result.only_close_in_meaning:
        print("no passage contains these words; the results are the closest in meaning")
    for n, hit in enumerate(result.hits, start=1):
        p = hit.passage
        where = " · ".join(x for x in (p.date, p.heading, f"p. {p.page}" if p.page else "") if x)
        print(f"\n{n}. [{hit.score:.4f}] {p.title} · {where} ({p.id})")
        print(f"   {p.text[:200]}")
    return 0


def _run_ask(args: argparse.Namespace, settings: IndexSettings) -> int:
    engine = SearchEngine(args.data, config=settings.search_config())
    answer = ask(engine, args.question)
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print(answer.text)
        for c in answer.citations:
            page = f", p. {c.page}" if c.page else ""
            print(f"  [{c.n}] {c.title} ({c.passage_id}{page}, chars {c.start}-{c.end})")
        if not answer.answered:
            for hit in answer.passages[:3]:
                print(f"  - {hit.passage.title} ({hit.passage.id}): {hit.passage.text[:80]}…")
    return 0 if answer.answered else EXIT_NO_ANSWER


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _print_summary(summary: BuildSummary) -> None:
    for problem in summary.skipped:
        print(f"skipped {problem}", file=sys.stderr)
    stages = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in summary.stage_seconds.items())
    print(
        f"built {summary.documents} documents, {summary.passages} passages "
        f"({summary.embedded} newly embedded), {len(summary.skipped)} skipped file(s), "
        f"in {summary.seconds:.1f}s [{stages}] -> {summary.build_dir}"
    )


def _progress_bars() -> Callable[[str, int], Callable[[int], None]]:
    from tqdm import tqdm

    def stage(name: str, total: int) -> Callable[[int], None]:
        # Rate and time left on every bar: a first build of a large archive embeds for hours.
        # (Texts found in the vector cache arrive as one first jump; tqdm's moving average
        # forgets it within a few batches.)
        bar = tqdm(total=total, desc=f"{name:>14}", unit="file" if name == "parse" else "text",
                   file=sys.stderr, leave=True,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]")

        def advance(n: int) -> None:
            bar.update(n)
            if bar.n >= bar.total:
                bar.close()

        return advance

    return stage
