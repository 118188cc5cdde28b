"""`python -m benchmarks.hostile_queries`: generated hostile queries against the real server.

Starts `python -m webapp` (gunicorn, 2 sync workers, rate limits off) on 127.0.0.1 over a
data directory holding the bundled corpus's index (or uses `--base URL`), then sends N
generated queries (default 10,000), spread evenly over

    GET /api/search (hybrid, keyword, vector)   GET /api/ask   POST /api/ask (JSON)
    GET /api/suggest   GET /?q= (the HTML page, sometimes with a filter too)
    GET /doc/<id>?q= (the document page's back link)

Each query joins one to four fragments: Whoosh syntax, unbalanced quotes and brackets,
SQL / HTML / JS / template payloads, control and zero-width characters, bidi overrides,
emoji, right-to-left text, many scripts mixed, lone surrogates (as JSON escapes) and raw
invalid UTF-8 bytes (percent-encoded in the URL); about 2% are long (501 characters to
100 KB).

Every reply is checked: no 5xx; the API answers JSON in the contract's shape (fields of a
result, or exactly {"error": {"code", "message"}}) and valid UTF-8; snippets carry no
markup but <mark>; pages are complete HTML with no more <script> tags than the page's own
and never contain a payload's raw markup (`<script>alert(1)</script>`, `"><img src=x
onerror=…>`) unescaped.

Long queries: up to MAX_QUERY_CHARS (500) they are served; longer ones get 413 JSON
(query_too_long, or payload_too_large for a body over MAX_BODY_BYTES); a URL over
gunicorn's request-line limit (8190 bytes, e.g. 100 KB in `?q=`) is refused by gunicorn
itself with a short plain 414 page before the app sees it: those replies are checked to be
a clean 4xx without internals. Long questions belong in POST /api/ask, which answers 413
in the JSON error shape.

Prints replies per endpoint and status, per category, the latency, and every failure
(exit status 1 if there is one).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import requests

from benchmarks.tables import Table, percentile

DOC_ID = "xinhui-manufacturing-backbone-2024"  # a bundled document, for /doc/<id>?q=

FRAGMENTS: dict[str, list[str]] = {
    "whoosh": [
        "title:江门", "text:*", "*:*", '"新型储能', '储能"', "(AND OR)", "a AND (b OR", "NOT NOT NOT", "储能~2",
        "工业^10", "[a TO z]", "{2020 TO 2024]", "date:[2023 TO]", "a*", "?", "*?*", "\\", '"', "''", "))))", "((((",
        "[[[", "]]]", "{{", "}}", "-工业", "+工业", "工业 || 储能", "!工业", "field:", ":", "::", 'a"b"c"', "OR",
        "AND", "NOT", "TO", '"" ""', "district:新会", "source:*", "_id:1", "工业 AND", "AND 工业", "(((工业)))",
        "储能^", "~", "^", "title:(新会 OR 江门) AND NOT text:GDP", "*工业*", "%", "&&", "|", "/regex.*/",
    ],
    "sql": [
        "' OR 1=1 --", "'; DROP TABLE hits; --", "\" OR \"\"=\"", "1; SELECT * FROM sqlite_master", "UNION SELECT NULL,NULL",
        "admin'--", "' OR 'a'='a", "1' AND SLEEP(5)#", "'||(SELECT load_extension('x'))||'", "%' AND 1=0 UNION ALL",
        "ATTACH DATABASE '/tmp/x' AS x;", "PRAGMA journal_mode=OFF;",
    ],
    "html": [
        "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "<svg onload=alert(1)>",
        "javascript:alert(1)", "<iframe src=\"javascript:alert(1)\"></iframe>", "</title><script>alert(1)</script>",
        "<a href=\"javascript:alert(1)\">x</a>", "'\"><body onload=alert(1)>", "<style>*{display:none}</style>",
        "<!--", "-->", "]]>", "<![CDATA[", "&lt;script&gt;", "&#60;script&#62;", "%3Cscript%3Ealert(1)%3C/script%3E",
        "<mark>x</mark>", "</mark><script>alert(1)</script>", "<meta http-equiv=refresh content=0;url=//evil>",
        "<input autofocus onfocus=alert(1)>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "\"onmouseover=\"alert(1)", "' onmouseover='alert(1)", "</textarea><script>alert(1)</script>",
    ],
    "template": [
        "{{7*7}}", "${7*7}", "<%= 7*7 %>", "#{7*7}", "{0}", "{q}", "%s%s%s%n", "%x%x", "${jndi:ldap://127.0.0.1/x}",
        "{{config}}", "{% debug %}", "__import__('os')", "../../etc/passwd", "..\\..\\windows\\win.ini",
        "file:///etc/passwd", "/proc/self/environ", "\r\nSet-Cookie: x=y", "a\r\nX-Injected: 1",
    ],
    "control": [chr(c) for c in range(1, 32)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xa0)] + ["\x00", "a\x00b"],
    "zero-width": ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u061c", "\u180e",
                   "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
                   "工\u200b业", "储\u200d能", "\u202egnp.exe", "\u00ad", "\u034f", "\ufe0f"],
    "emoji": ["🙂", "👨‍👩‍👧‍👦", "🇨🇳", "👍🏽", "🏳️‍🌈", "🀄", "💩" * 20, "🧑🏿‍🚀", "#️⃣", "🫠", "\U0001F9D1\u200d\U0001F4BB"],
    "rtl": ["مرحبا بالعالم", "שלום עולם", "الناتج المحلي الإجمالي", "ما هو الناتج المحلي لمدينة جيانغمن؟",
            "\u202eمرحبا\u202c 江门", "עברית English 中文", "ܫܠܡܐ", "ދިވެހި"],
    "mixed": ["Привет мир", "Ελλάδα", "नमस्ते", "สวัสดี", "こんにちは世界", "안녕하세요", "Z̴̡̧a̷l̸g̶o̵ ̷t̶e̸x̶t̷",
              "ｉｎｄｕｓｔｒｙ", "𝐢𝐧𝐝𝐮𝐬𝐭𝐫𝐲", "𠀀𠀁𠀂", "\ue000\uf8ff", "\ufffe\uffff", "\U0010ffff", "\U000e0001",
              "江门 industry Промышленность 産業", "GDP增长了多少？What", "ß ﬁ ǅ İ ı", "\u3000\u3000", "ℌ𝔢𝔩𝔩𝔬"],
    "corpus": ["江门", "新会", "工业", "新型储能", "专精特新企业", "GDP", "产业集群", "industry", "energy storage",
               "新会区2023年GDP是多少？", "What was Xinhui's GDP in 2023?", "江门有哪些产业集群？", "招商引资", "Canton Fair"],
}
# Raw percent-encoded bytes that are not UTF-8 (or are, oddly): GET only.
RAW_BYTES = ["%ff%fe", "%ED%A0%80", "%C0%AF", "%E0%80%80", "%F4%90%80%80", "%80", "%00", "a%00b", "%EF%BF%BE",
             "%25", "%%", "%G0", "%E2%80%AE", "%F0%9F", "%2e%2e%2f%2e%2e%2f"]
LONG_SIZES = (501, 1_000, 3_000, 8_000, 20_000, 100_000)
CATEGORY_WEIGHTS = {"whoosh": 4, "sql": 2, "html": 4, "template": 2, "control": 2, "zero-width": 2, "emoji": 2,
                    "rtl": 2, "mixed": 3, "corpus": 3, "surrogate": 1, "bytes": 1}
TARGETS = ("search-hybrid", "search-keyword", "search-vector", "ask-get", "ask-post", "suggest", "page", "doc")
# Statuses a target may answer; anything else is a failure.
ALLOWED = {
    "search-hybrid": {200, 400, 413, 414}, "search-keyword": {200, 400, 413, 414}, "search-vector": {200, 400, 413, 414},
    "ask-get": {200, 400, 413, 414}, "ask-post": {200, 400, 413}, "suggest": {200, 400, 413, 414},
    "page": {200, 400, 413, 414}, "doc": {200, 414},
}
HIT_FIELDS = {"passage_id", "doc_id", "title", "text", "snippet", "score", "date", "source", "url"}
# Elements that load or run something by themselves. (<svg> and <math> are inert without a
# handler attribute or a <script>, both caught separately; the page draws its icons in SVG.)
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet"}


@dataclass(frozen=True)
class HostileQuery:
    n: int
    category: str
    target: str
    text: str  # as the server should see it (for raw bytes: the URL-encoded form)
    raw_url: bool = False  # text is already percent-encoded (invalid bytes on purpose)
    filter_payload: str = ""  # also sent as a filter on the page (district=)


@dataclass
class Outcome:
    query: HostileQuery
    status: int
    seconds: float
    problems: list[str] = field(default_factory=list)


def generate_queries(n: int, seed: int = 2024) -> list[HostileQuery]:
    """N queries, the same ones for the same seed, targets in strict rotation."""
    rng = random.Random(seed)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    queries = []
    for i in range(n):
        target = TARGETS[i % len(TARGETS)]
        if i % 50 == 7:  # 2%: long, every endpoint getting every size in turn
            k = i // 50
            target = TARGETS[k % len(TARGETS)]
            size = LONG_SIZES[(k // len(TARGETS) + TARGETS.index(target)) % len(LONG_SIZES)]
            seedtext = "".join(rng.choice(FRAGMENTS[rng.choice(list(FRAGMENTS))]) for _ in range(8)) or "x"
            queries.append(HostileQuery(i, f"long-{size}", target, (seedtext * (size // len(seedtext) + 1))[:size]))
            continue
        category = rng.choices(categories, weights)[0]
        if category == "bytes":
            if target == "ask-post":  # a JSON body cannot carry raw bytes: send the surrogate form
                category = "surrogate"
            else:
                parts = [rng.choice(RAW_BYTES), quote(rng.choice(FRAGMENTS["corpus"]), safe="")]
                rng.shuffle(parts)
                queries.append(HostileQuery(i, "bytes", target, "".join(parts), raw_url=True))
                continue
        if category == "surrogate":
            text = rng.choice(FRAGMENTS["corpus"]) + rng.choice(["\ud800", "\udfff", "\udc80x", "\ud83d"])
        else:
            pieces = [rng.choice(FRAGMENTS[category])]
            for _ in range(rng.randint(0, 3)):
                pieces.append(rng.choice(FRAGMENTS[rng.choice(categories[:-2])]))
            rng.shuffle(pieces)
            text = rng.choice(["", " ", "\t", "\u3000"]).join(pieces)
            if rng.random() < 0.3:
                text = _sprinkle(text, rng)
        payload = rng.choice(FRAGMENTS["html"]) if target == "page" and rng.random() < 0.3 else ""
        queries.append(HostileQuery(i, category, target, text, filter_payload=payload))
    return queries


def _sprinkle(text: str, rng: random.Random) -> str:
    """Random code points from awkward ranges, at random places."""
    ranges = [(0x0, 0x1f), (0x7f, 0x9f), (0x300, 0x36f), (0x200b, 0x206f), (0xe000, 0xf8ff), (0xfff0, 0xffff),
              (0x1f300, 0x1faff), (0xe0000, 0xe007f), (0x20000, 0x2a6df)]
    chars = list(text)
    for _ in range(rng.randint(1, 5)):
        low, high = rng.choice(ranges)
        chars.insert(rng.randint(0, len(chars)), chr(rng.randint(low, high)))
    return "".join(chars)


def request_for(query: HostileQuery) -> tuple[str, str, dict]:
    """(method, path with query string, requests kwargs)."""
    q = query.text if query.raw_url else quote(query.text.encode("utf-8", "surrogatepass"), safe="")
    if query.target.startswith("search-"):
        return "GET", f"/api/search?mode={query.target.split('-')[1]}&k=5&q={q}", {}
    if query.target == "ask-get":
        return "GET", f"/api/ask?q={q}", {}
    if query.target == "ask-post":
        # ensure_ascii keeps lone surrogates as \\udXXX escapes: valid JSON, not valid text.
        return "POST", "/api/ask", {"data": json.dumps({"q": query.text}).encode("ascii"),
                                    "headers": {"Content-Type": "application/json"}}
    if query.target == "suggest":
        return "GET", f"/api/suggest?q={q}", {}
    if query.target == "page":
        extra = f"&district={quote(query.filter_payload, safe='')}" if query.filter_payload else ""
        return "GET", f"/?q={q}{extra}", {}
    return "GET", f"/doc/{DOC_ID}?q={q}", {}


def check_reply(query: HostileQuery, response: requests.Response, page_scripts: int) -> list[str]:
    """What is wrong with the reply (empty when nothing is)."""
    problems = []
    status = response.status_code
    if status >= 500:
        return [f"server error {status}: {response.text[:200]!r}"]
    if status not in ALLOWED[query.target]:
        problems.append(f"unexpected status {status}")
    body = response.content
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return problems + ["reply is not valid UTF-8"]
    for marker in ("Traceback", 'File "', "site-packages", "/work/", "/usr/lib"):
        if marker in text:
            problems.append(f"reply shows internals ({marker})")
    content_type = response.headers.get("Content-Type", "")
    if status in (414, 431):  # gunicorn's own refusal, before the app: short, plain, nothing internal
        if len(body) > 1000:
            problems.append(f"gunicorn refusal unexpectedly long ({len(body)} bytes)")
        return problems
    if query.target in ("page", "doc"):
        return problems + _check_page(query, text, content_type, page_scripts)
    return problems + _check_json(query, text, content_type, status)


def _check_json(query: HostileQuery, text: str, content_type: str, status: int) -> list[str]:
    if not content_type.startswith("application/json"):
        return [f"API reply is {content_type!r}, not JSON"]
    try:
        body = json.loads(text)
    except ValueError:
        return ["API reply is not JSON"]
    if status >= 400:
        if not (isinstance(body, dict) and set(body) == {"error"} and isinstance(body["error"], dict)
                and set(body["error"]) == {"code", "message"}
                and all(isinstance(v, str) and v for v in body["error"].values())):
            return [f"error reply not in the error shape: {text[:200]!r}"]
        return []
    required = {"search": {"query", "total", "took_ms", "results"}, "ask": {"question", "answered", "answer", "citations",
                                                                             "passages", "took_ms"},
                "suggest": {"query", "suggestions"}}[query.target.split("-")[0]]
    if not isinstance(body, dict) or not required <= set(body):
        return [f"200 reply lacks fields {sorted(required - set(body or {}))}"]
    problems = []
    for hit in body.get("results", []) + body.get("passages", []):
        if not set(hit) >= HIT_FIELDS:
            problems.append("hit lacks contract fields")
        if re.sub(r"</?mark>", "", hit.get("snippet", "")).count("<"):
            problems.append("snippet carries markup besides <mark>")
    if "citations" in body:
        markers = {int(m) for m in re.findall(r"\[(\d+)\]", body["answer"])} if body["answered"] else set()
        if markers != {c["n"] for c in body["citations"]}:
            problems.append("answer markers do not match citations")
    if "suggestions" in body and not all(isinstance(s, str) for s in body["suggestions"]):
        problems.append("suggestions are not strings")
    return problems


def _check_page(query: HostileQuery, text: str, content_type: str, page_scripts: int) -> list[str]:
    problems = []
    if not content_type.startswith("text/html"):
        problems.append(f"page is {content_type!r}, not HTML")
    if not text.rstrip().endswith("</html>"):
        problems.append("page is not complete HTML")
    if text.lower().count("<script") != page_scripts:
        problems.append("page holds a <script> tag it does not own")
    for payload in (query.text, query.filter_payload):
        if not query.raw_url and any(c in payload for c in "<>\"") and len(payload) >= 3 and payload in text:
            problems.append(f"payload reflected unescaped: {payload[:80]!r}")
    problems += [f"injected markup: {found}" for found in active_markup(text, page_scripts)]
    return problems


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def active_markup(page: str, page_scripts: int) -> list[str]:
    """Elements and attributes in the parsed page that could run something: event handler
    attributes, javascript: URLs, script-like elements beyond the page's own scripts."""
    parser = _TagCollector()
    parser.feed(page)
    found = []
    scripts = 0
    for tag, attrs in parser.tags:
        scripts += tag == "script"
        if tag in ACTIVE_TAGS - {"script"}:
            found.append(f"<{tag}>")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            found.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}=>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                found.append(f"<{tag} {name}=javascript:>")
    if scripts > page_scripts:
        found.append(f"{scripts - page_scripts} extra <script>")
    return found


def run_queries(base: str, queries: list[HostileQuery], concurrency: int = 4,
                progress: bool = False) -> list[Outcome]:
    """Send every query (concurrently) and check each reply."""
    page_scripts = requests.get(f"{base}/?q=baseline", timeout=60).text.lower().count("<script")
    local = threading.local()
    done: Counter[str] = Counter()
    lock = threading.Lock()

    def send(query: HostileQuery) -> Outcome:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        method, path, kwargs = request_for(query)
        started = time.perf_counter()
        try:
            response = session.request(method, base + path, timeout=120, **kwargs)
        except requests.RequestException as exc:
            local.session = None
            return Outcome(query, 0, time.perf_counter() - started, [f"no reply: {type(exc).__name__}: {exc}"[:200]])
        outcome = Outcome(query, response.status_code, time.perf_counter() - started,
                          check_reply(query, response, page_scripts))
        if progress:
            with lock:
                done["n"] += 1
                if done["n"] % 500 == 0:
                    print(f"  {done['n']}/{len(queries)}", file=sys.stderr, flush=True)
        return outcome

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(send, queries))


def report(outcomes: list[Outcome], seconds: float) -> str:
    by_target = Table(f"{len(outcomes):,} hostile queries in {seconds:.0f} s: replies per endpoint and status",
                      ["endpoint", "queries", "200", "400", "413", "414", "other", "failures", "p50 ms", "p95 ms"])
    for target in TARGETS:
        mine = [o for o in outcomes if o.query.target == target]
        statuses = Counter(o.status for o in mine)
        latencies = [o.seconds * 1000 for o in mine]
        other = sum(v for k, v in statuses.items() if k not in (200, 400, 413, 414))
        by_target.add(target, len(mine), statuses[200], statuses[400], statuses[413], statuses[414], other,
                      sum(1 for o in mine if o.problems), round(percentile(latencies, 50), 1),
                      round(percentile(latencies, 95), 1))
    by_category = Table("Per category", ["category", "queries", "statuses", "failures"])
    for category in sorted({o.query.category for o in outcomes}):
        mine = [o for o in outcomes if o.query.category == category]
        statuses = Counter(o.status for o in mine)
        by_category.add(category, len(mine), " ".join(f"{k}:{v}" for k, v in sorted(statuses.items())),
                        sum(1 for o in mine if o.problems))
    failures = [o for o in outcomes if o.problems]
    lines = [by_target.to_text(), by_category.to_text(), f"failures: {len(failures)}"]
    for o in failures[:30]:
        lines.append(f"  #{o.query.n} {o.query.target} {o.query.category} {o.status} {o.query.text[:60]!r}: "
                     f"{'; '.join(o.problems)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostile_queries", description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--queries", type=int, default=10_000, help="how many (default 10,000)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--base", help="an already running server (its rate limits must be off)")
    parser.add_argument("--failures", type=Path, help="write every failure here as JSON lines")
    args = parser.parse_args(argv)
    queries = generate_queries(args.queries, args.seed)
    if args.base:
        return _run(args.base.rstrip("/"), queries, args)
    from benchmarks.serving import Server
    from benchmarks.workspace import REPO_ROOT

    data_dir = bundled_data_dir()
    log = REPO_ROOT / "test-output" / "hostile-webapp.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    # The server inherits this environment: rate limits off (all the load comes from one address).
    os.environ.update(RATE_LIMIT_SEARCH="0", RATE_LIMIT_ASK="0")
    with Server(data_dir, log) as server:
        print(f"server up at {server.base} (log: {log})", file=sys.stderr)
        return _run(server.base, queries, args)


def _run(base: str, queries: list[HostileQuery], args: argparse.Namespace) -> int:
    started = time.perf_counter()
    outcomes = run_queries(base, queries, args.concurrency, progress=True)
    print(report(outcomes, time.perf_counter() - started))
    failures = [o for o in outcomes if o.problems]
    if args.failures:
        with args.failures.open("w", encoding="utf-8") as handle:
            for o in failures:
                handle.write(json.dumps({"n": o.query.n, "target": o.query.target, "category": o.query.category,
                                         "status": o.status, "text": o.query.text[:2000], "problems": o.problems},
                                        ensure_ascii=True) + "\n")
    return 1 if failures else 0


def bundled_data_dir() -> Path:
    """.bench-data/hostile: the bundled corpus's index, built if missing (models and vectors shared)."""
    from benchmarks.workspace import BUNDLED_CORPUS, bench_dir
    from index import SearchEngine, build_index

    data_dir = bench_dir("hostile")
    if not SearchEngine.has_index(data_dir):
        build_index(BUNDLED_CORPUS, data_dir)
    return data_dir


if __name__ == "__main__":
    sys.exit(main())
