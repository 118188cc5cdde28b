"""`python -m benchmarks.soak [--seconds 300]`: a bounded load run with a reindex in the middle.

Starts `python -m webapp` (gunicorn, 2 sync workers, rate limits off, an admin key) on
127.0.0.1 over a fresh data directory holding the bundled corpus's index, then for
`--seconds` (default 300):

- `wrk` (-t2 -c4 by default) sends a mix of searches (hybrid, keyword, vector) and
  questions, rotating through a few hundred queries; one request in five carries a
  unique suffix, so the model embeds it (the rest hit the query cache, as popular
  queries do);
- at 45% of the run, N new documents (default 20; Markdown files and JSON documents)
  are uploaded through POST /api/admin/documents, and at 50% POST /api/admin/reindex is
  called: the rebuild (a separate process) embeds the new text while the load goes on;
- every 5 s the memory of the master and each worker is read from
  /proc/<pid>/smaps_rollup (RSS, and PSS, which splits the pages the workers share
  copy-on-write with the master: the PSS total is what the service really uses).

At the end every uploaded document must be found by a keyword search for its own token,
on every worker. Prints requests, failures (non-2xx and socket errors), requests/s, p50,
p95 and p99 latency (wrk's), the reindex time, and memory before, at the peak and after;
exit status 1 if any request failed or any upload is not searchable.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from benchmarks.tables import Table
from benchmarks.workspace import BENCH_DIR, BUNDLED_CORPUS, REPO_ROOT, SHARED_DIR
from benchmarks.wrk import lua_script as rotating_script
from benchmarks.wrk import read_wrk, start_wrk

SEARCH_WORDS = ("新型储能", "新会 GDP", "专精特新企业", "江门工业", "产业集群", "招商引资", "规模以上工业", "陈皮",
                "先进制造业", "工业投资", "energy storage", "Canton Fair", "industrial output", "battery",
                "manufacturing", "GDP growth")
QUESTIONS = ("新会区有多少家专精特新企业？", "新会区2023年GDP是多少？", "江门有哪些产业集群？", "新型储能产业产值是多少？",
             "江门工业增加值增长了多少？", "How many specialized enterprises does Xinhui have?",
             "What was Xinhui's GDP in 2023?", "What industries does Jiangmen have?", "江门的失业率是多少？")
SAMPLE_EVERY = 5.0  # seconds between memory samples

@dataclass
class MemorySample:
    at: float  # seconds since the load started
    rss_mb: dict[str, float]  # process label -> MiB
    pss_mb: dict[str, float]
    # Anonymous memory: the heap and the loaded index, what a leak grows. RSS also counts
    # file-backed pages (torch's libraries, paged in as new input shapes run new kernels:
    # +150 MiB a worker over the first thousand new queries), shared and reclaimable.
    anon_mb: dict[str, float]

    @property
    def rss_total(self) -> float:
        return sum(self.rss_mb.values())

    @property
    def anon_total(self) -> float:
        return sum(self.anon_mb.values())

    @property
    def pss_total(self) -> float:
        return sum(self.pss_mb.values())


@dataclass
class SoakResult:
    seconds: float
    requests: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    bad_status: int = 0
    socket_errors: int = 0
    timeouts: int = 0
    uploads: list[str] = field(default_factory=list)
    upload_failures: list[str] = field(default_factory=list)
    reindex_seconds: float | None = None  # from the reindex call to the new build answering
    builds: list[str] = field(default_factory=list)  # builds seen on /healthz, in order
    searchable: dict[str, bool] = field(default_factory=dict)
    memory: list[MemorySample] = field(default_factory=list)
    workers_seen: set[int] = field(default_factory=set)

    @property
    def failures(self) -> int:
        return self.bad_status + self.socket_errors + self.timeouts

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        return (self.failures == 0 and not self.upload_failures and bool(self.searchable)
                and all(self.searchable.values()))


def lua_script(count: int = 240) -> str:
    """Search in every mode and ask, over the bundled corpus's words."""
    paths = []
    for n in range(count):
        kind = n % 10
        if kind < 7:
            mode = ("hybrid", "hybrid", "hybrid", "hybrid", "keyword", "vector", "vector")[kind]
            words = SEARCH_WORDS[n % len(SEARCH_WORDS)] + ("" if n < len(SEARCH_WORDS) * 2 else f" {n}")
            paths.append(f"/api/search?mode={mode}&k=10&q={quote(words)}")
        else:
            question = QUESTIONS[n % len(QUESTIONS)]
            paths.append(f"/api/ask?q={quote(question if n < 100 else f'{question} {n}')}")
    # One in five requests gets a unique suffix: a query no cache has seen.
    return rotating_script(paths, unique_every=5)


# The analyzer cuts a run of letters and digits at every switch (soak1a2 -> soak, 1, a, 2), so
# tokens with digits shared most of their terms and one upload's token could rank another
# first. Consonants only: one term per token, and nothing an English stemmer strips.
_CONSONANTS = "bcdfghjklmnpqrtvwxz"


def _letters(text: str) -> str:
    return "".join(c if c.isalpha() else _CONSONANTS[int(c)] for c in text.lower())


def new_documents(count: int, stamp: str) -> list[dict]:
    """Documents with a unique keyword token each and several passages of new text to embed."""
    docs = []
    for i in range(count):
        token = "soak" + _letters(f"{stamp}n{i}")
        paragraphs = [f"江门市第{i}号产业园区{token}今年新增投资{(i + 3) * 7 % 97}亿元，重点发展新型储能和高端装备，"
                      f"预计带动就业{(i + 5) * 131}人。园区第{p}期工程计划于{2024 + p % 3}年完工，"
                      f"届时年产值可达{(i + p) * 13 % 89 + 10}亿元。" for p in range(4)]
        docs.append({"id": f"soak-{stamp}-{i}", "title": f"江门第{i}号产业园区建设进展", "token": token,
                     "date": "2024-06", "district": "江门", "text": "\n\n".join(paragraphs)})
    return docs


def process_memory(master: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """RSS, PSS and anonymous memory (MiB) of the master and its worker children, from
    /proc/<pid>/smaps_rollup."""
    pids = {"master": master}
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        children = []
    cmdline = Path(f"/proc/{master}/cmdline").read_bytes()
    for n, child in enumerate(sorted(int(c) for c in children)):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == cmdline:  # a worker, not a reindex
                pids[f"worker {n + 1}"] = child
        except OSError:
            continue
    rss: dict[str, float] = {}
    pss: dict[str, float] = {}
    anon: dict[str, float] = {}
    for label, pid in pids.items():
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for values, name in ((rss, "Rss"), (pss, "Pss"), (anon, "Anonymous")):
            found = re.search(rf"^{name}:\s+(\d+)", rollup, re.MULTILINE)
            values[label] = int(found.group(1)) / 1024 if found else 0.0
    return rss, pss, anon


def fresh_data_dir() -> Path:
    """.bench-data/soak: the bundled corpus's index, its own copy of the vector cache (the
    uploads' vectors are unique to a run and must not pile up in the shared cache)."""
    from index import build_index

    data_dir = BENCH_DIR / "soak"
    shutil.rmtree(data_dir, ignore_errors=True)
    (data_dir / "cache").mkdir(parents=True)
    (SHARED_DIR / "models").mkdir(parents=True, exist_ok=True)  # the first build converts the model into it
    (data_dir / "models").symlink_to((SHARED_DIR / "models").resolve(), target_is_directory=True)
    for cached in (SHARED_DIR / "cache").glob("*.npz"):
        if cached.name.startswith(("passages-", "sentences-")):
            shutil.copy(cached, data_dir / "cache" / cached.name)
    build_index(BUNDLED_CORPUS, data_dir)
    return data_dir


def run_soak(seconds: float, uploads: int = 20, connections: int = 4, threads: int = 2,
             data_dir: Path | None = None, log: Path | None = None) -> SoakResult:
    from benchmarks.serving import Server

    data_dir = data_dir or fresh_data_dir()
    log = log or REPO_ROOT / "test-output" / "soak-webapp.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(16)
    result = SoakResult(seconds=seconds)
    # Rate limits off (the load comes from one address), admin on.
    with server_environment(RATE_LIMIT_SEARCH="0", RATE_LIMIT_ASK="0", ADMIN_API_KEY=key,
                            CORPUS_DIR=str(BUNDLED_CORPUS)), Server(data_dir, log) as server:
        admin = {"Authorization": f"Bearer {key}"}
        _warm_up(server.base)
        master = server.process.pid
        result.memory.append(MemorySample(0.0, *process_memory(master)))
        stamp = time.strftime("%H%M%S") + secrets.token_hex(2)
        documents = new_documents(uploads, stamp)
        wrk = _start_wrk(server.base, seconds, connections, threads)
        started = time.monotonic()
        uploaded = reindexed = False
        next_sample = started + SAMPLE_EVERY
        while wrk.poll() is None:
            now = time.monotonic() - started
            if not uploaded and now >= 0.45 * seconds:
                _upload(server.base, admin, documents, result)
                uploaded = True
            if uploaded and not reindexed and now >= 0.5 * seconds:
                reindex_called = time.monotonic()
                before = _build(server.base)
                response = requests.post(server.base + "/api/admin/reindex", headers=admin, timeout=60)
                if response.status_code != 202:
                    result.upload_failures.append(f"reindex: {response.status_code} {response.text[:200]}")
                reindexed = True
                threading.Thread(target=_time_reindex, args=(server.base, admin, before, reindex_called, result),
                                 daemon=True).start()
            if time.monotonic() >= next_sample:
                result.memory.append(MemorySample(time.monotonic() - started, *process_memory(master)))
                next_sample += SAMPLE_EVERY
            time.sleep(0.2)
        _read_wrk(wrk, result)
        _wait_for_rebuilds(server.base, admin)
        result.memory.append(MemorySample(time.monotonic() - started, *process_memory(master)))
        _check_uploads(server.base, documents, result, log)
    return result


@contextmanager
def server_environment(**values: str) -> Iterator[None]:
    """Variables the server process inherits, set for the `with` only (the caller may be a test
    session whose other servers must not get an admin key)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _warm_up(base: str) -> None:
    """Each kind of request several times from 4 threads, so both workers are warm (the
    second encoder, for instance, loads on a worker's first English question) and 'before'
    is the memory of a warm server, not a cold one."""
    paths = ["/api/search?q=江门工业", "/api/search?mode=keyword&q=储能", "/api/search?mode=vector&q=GDP",
             "/api/ask?q=新会区2023年GDP是多少？", "/api/ask?q=What was Xinhui's GDP in 2023?",
             "/api/search?q=energy storage", "/?q=新型储能"] * 4
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda path: requests.get(base + path, timeout=120), paths))


def _start_wrk(base: str, seconds: float, connections: int, threads: int) -> subprocess.Popen[str]:
    # The script goes under BENCH_DIR, not /tmp: /tmp gets cleaned under long runs.
    return start_wrk(base, lua_script(), seconds, connections, threads, timeout_s=30, script_dir=BENCH_DIR)


def _read_wrk(process: subprocess.Popen[str], result: SoakResult) -> None:
    stats = read_wrk(process)
    result.requests, result.seconds = stats.requests, stats.seconds
    result.p50_ms, result.p95_ms, result.p99_ms, result.max_ms = stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms
    result.bad_status, result.socket_errors, result.timeouts = stats.bad_status, stats.socket_errors, stats.timeouts


def _upload(base: str, admin: dict[str, str], documents: list[dict], result: SoakResult) -> None:
    """Half as Markdown files (multipart, five per request), half as JSON documents."""
    half = len(documents) // 2
    for start in range(0, half, 5):
        files = [("files", (f"{d['id']}.md", _markdown(d).encode(), "text/markdown"))
                 for d in documents[start:min(start + 5, half)]]
        _post(base + "/api/admin/documents", admin, result, files=files)
    json_docs = [{k: v for k, v in d.items() if k != "token"} for d in documents[half:]]
    for start in range(0, len(json_docs), 5):
        _post(base + "/api/admin/documents", admin, result, json={"documents": json_docs[start:start + 5]})


def _markdown(doc: dict) -> str:
    return (f"---\nid: {doc['id']}\ntitle: {doc['title']}\ndate: {doc['date']}\ndistrict: {doc['district']}\n---\n\n"
            f"{doc['text']}\n")


def _post(url: str, admin: dict[str, str], result: SoakResult, **kwargs: Any) -> None:
    response = requests.post(url, headers=admin, timeout=60, **kwargs)
    if response.status_code == 202:
        result.uploads.extend(response.json()["accepted"])
    else:
        result.upload_failures.append(f"upload: {response.status_code} {response.text[:200]}")


def _build(base: str) -> str:
    return requests.get(base + "/healthz", timeout=60).json()["build"]


def _time_reindex(base: str, admin: dict[str, str], before: str, called: float, result: SoakResult) -> None:
    """Seconds from the reindex call until the build it started answers and nothing is pending."""
    result.builds.append(before)
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        build = _build(base)
        if build != result.builds[-1]:
            result.builds.append(build)
        status = requests.get(base + "/api/admin/status", headers=admin, timeout=60).json()
        if build != before and not status["reindex_running"] and not status["reindex_pending"]:
            result.reindex_seconds = time.monotonic() - called
            return
        time.sleep(1)


def _wait_for_rebuilds(base: str, admin: dict[str, str], timeout: float = 1800) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = requests.get(base + "/api/admin/status", headers=admin, timeout=60).json()
        if not status["reindex_running"] and not status["reindex_pending"]:
            return
        time.sleep(1)
    raise RuntimeError("the reindex did not finish")


def _check_uploads(base: str, documents: list[dict], result: SoakResult, log: Path) -> None:
    """Every upload found by its own token, by both workers (several tries each)."""
    since = log.stat().st_size

    def found(doc: dict) -> bool:
        body = requests.get(base + "/api/search", params={"q": doc["token"], "mode": "keyword", "k": 3},
                            timeout=60).json()
        return bool(body["results"]) and body["results"][0]["doc_id"] == doc["id"]

    # Concurrent, so both workers answer: one client's requests in a row often all land on
    # one. A round where only one worker answered is repeated (at most three rounds).
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(found, [doc for doc in documents for _ in range(6)]))
        for n, doc in enumerate(documents):
            result.searchable[doc["id"]] = result.searchable.get(doc["id"], True) and all(answers[n * 6:(n + 1) * 6])
        time.sleep(0.5)
        for line in log.read_bytes()[since:].decode("utf-8", "replace").splitlines():
            if line.startswith("{") and '"/api/search"' in line:
                result.workers_seen.add(json.loads(line)["pid"])
        if len(result.workers_seen) >= 2:
            return


def report(result: SoakResult, load_before: float) -> str:
    summary = Table(f"Soak: {result.seconds:.0f} s of search + ask under gunicorn (2 sync workers), reindex in the middle",
                    ["requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "uploads", "searchable after",
                     "reindex s"])
    summary.add(result.requests, result.failures, round(result.rps, 1), round(result.p50_ms, 1),
                round(result.p95_ms, 1), round(result.p99_ms, 1), round(result.max_ms), len(result.uploads),
                f"{sum(result.searchable.values())}/{len(result.searchable)}",
                round(result.reindex_seconds, 1) if result.reindex_seconds is not None else None)
    summary.notes.append(f"failures = non-2xx {result.bad_status} + socket errors {result.socket_errors} "
                         f"+ timeouts {result.timeouts}; upload/reindex problems: {len(result.upload_failures)}")
    summary.notes.append(f"builds served during the run: {' -> '.join(result.builds) or '-'}; uploads checked on "
                         f"{len(result.workers_seen)} worker(s)")
    summary.notes.append(f"{os.cpu_count()} CPUs shared by wrk, the workers and the rebuild; 1-minute load average "
                         f"{load_before:.1f} before the run")
    memory = Table("Memory of the serving processes (MiB, /proc/<pid>/smaps_rollup)",
                   ["when", "s", "RSS total", "PSS total", "anon total"] + [f"PSS {k}" for k in result.memory[0].pss_mb])
    peak = max(result.memory, key=lambda m: m.pss_total)
    for label, sample in (("before", result.memory[0]), ("peak", peak), ("after", result.memory[-1])):
        memory.add(label, round(sample.at), round(sample.rss_total), round(sample.pss_total), round(sample.anon_total),
                   *(round(sample.pss_mb.get(k, 0)) for k in result.memory[0].pss_mb))
    first = result.memory[0].pss_total
    memory.notes.append(f"PSS total after - before: {result.memory[-1].pss_total - first:+.0f} MiB "
                        f"({(result.memory[-1].pss_total / first - 1) * 100:+.1f}%); {len(result.memory)} samples")
    anon = result.memory[0].anon_total
    memory.notes.append(f"anonymous (heap + index) after - before: {result.memory[-1].anon_total - anon:+.0f} MiB "
                        f"({(result.memory[-1].anon_total / anon - 1) * 100:+.1f}%); the rest of RSS growth is "
                        "file-backed library pages, shared and reclaimable")
    lines = [summary.to_text(), memory.to_text()]
    lines += [f"  ! {problem}" for problem in result.upload_failures]
    lines += [f"  ! not searchable: {doc_id}" for doc_id, ok in result.searchable.items() if not ok]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=300, help="length of the load (default 300)")
    parser.add_argument("--uploads", type=int, default=20, help="documents uploaded before the reindex (default 20)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write the samples and figures here")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 1
    load_before = os.getloadavg()[0]
    result = run_soak(args.seconds, args.uploads, args.connections, args.threads)
    print(report(result, load_before))
    if args.json:
        args.json.write_text(json.dumps({
            "requests": result.requests, "failures": result.failures, "rps": result.rps, "p50_ms": result.p50_ms,
            "p95_ms": result.p95_ms, "p99_ms": result.p99_ms, "reindex_seconds": result.reindex_seconds,
            "searchable": result.searchable, "memory": [m.__dict__ for m in result.memory],
        }, ensure_ascii=False, indent=1))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
