"""Web settings from environment variables, built on the library's `IndexSettings`.

| variable            | default    | meaning                                                        |
|---------------------|------------|----------------------------------------------------------------|
| DATA_DIR            | ./data     | built index (see index/settings.py)                            |
| CORPUS_DIR          | ./corpus   | documents the index is built from when it is missing           |
| MAX_QUERY_CHARS     | 500        | longer queries get 413 query_too_long                          |
| MAX_BODY_BYTES      | 65536      | larger request bodies (POST /api/ask) get 413                  |
| PAGE_SIZE           | 10         | results per page on the search page                            |
| DEFAULT_LANG        | zh         | interface language when neither cookie nor Accept-Language say |
|                     |            | (zh, en or zh-Hant; zh-TW, zh-HK also mean zh-Hant)            |
| ALLOWED_ORIGINS     | (empty)    | comma-separated origins allowed to call the API from a browser |
|                     |            | (the widget; `*` = any site; empty = same origin only)         |
| WORKERS             | 2          | gunicorn sync workers for `python -m webapp`                   |
| WORKER_TIMEOUT      | 60         | seconds before gunicorn restarts a stuck worker                |
| ACCESS_LOG          | (empty)    | gunicorn's own text access log: "-" for stdout, a path; off by |
|                     |            | default because the app writes a JSON line per request        |
| TORCH_THREADS       | 0          | e5 inference threads (OpenVINO or torch) per worker; 0 = CPU count / WORKERS, at least 1 |
| ADMIN_API_KEY       | (empty)    | key for /api/admin/*; empty turns admin off                    |
| MAX_UPLOAD_BYTES    | 20971520   | largest admin upload (20 MiB)                                  |
| RATE_LIMIT_SEARCH   | 300        | searches + suggestions + search pages per client per minute    |
| RATE_LIMIT_ASK      | 60         | questions per client per minute (0 turns a limit off)          |
| TRUST_PROXY         | 0          | 1: take the client address from X-Forwarded-For (behind a      |
|                     |            | load balancer you run); never on a directly exposed server     |
| LOG_QUERIES         | 0          | 1: put query text in the JSON access log                       |
| PUBLIC_URL          | (empty)    | the app's public address (https://search.example.org): what    |
|                     |            | /widget's snippet and OpenAPI's `servers` print                |
| TRUSTED_HOSTS       | (empty)    | comma-separated host names the app answers to; any other Host  |
|                     |            | header gets 400. With neither set, the request's Host is only  |
|                     |            | printed when it is a loopback address (local development)      |
| RATE_LIMIT_DB       | (DATA_DIR/ratelimit.sqlite3) | the counters shared by the workers; set it  |
|                     |            | to a local writable path when DATA_DIR is mounted read-only   |
| REDIS_URL           | (empty)    | redis://host:6379/0: rate-limit counters in Redis, shared by  |
|                     |            | every replica behind a load balancer (RATE_LIMIT_DB unused)   |

FUSION_KEYWORD_WEIGHT and FUSION_VECTOR_WEIGHT are read by IndexSettings.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from index import IndexSettings

from .languages import LANGUAGES, ui_language


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from exc
    if number < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())


def _public_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"PUBLIC_URL must start with https:// or http://, not {url!r}")
    return url


@dataclass(frozen=True)
class WebSettings:
    index: IndexSettings = field(default_factory=IndexSettings.from_env)
    max_query_chars: int = 500
    max_body_bytes: int = 64 * 1024
    page_size: int = 10
    default_lang: str = "zh"
    allowed_origins: tuple[str, ...] = ()
    workers: int = 2
    worker_timeout: int = 60
    access_log: str = ""
    torch_threads: int = 0
    admin_api_key: str = field(default="", repr=False)  # a secret: never in logs or reprs
    max_upload_bytes: int = 20 * 1024 * 1024
    rate_limit_search: int = 300
    rate_limit_ask: int = 60
    trust_proxy: bool = False
    log_queries: bool = False
    rate_limit_path: str = ""  # empty: DATA_DIR/ratelimit.sqlite3
    redis_url: str = field(default="", repr=False)  # may carry a password
    public_url: str = ""
    trusted_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls) -> WebSettings:
        written = os.environ.get("DEFAULT_LANG", "").strip() or "zh"
        default_lang = ui_language(written)
        if default_lang is None:
            raise ValueError(f"DEFAULT_LANG must be one of {', '.join(LANGUAGES)}, not {written!r}")
        return cls(
            index=IndexSettings.from_env(),
            max_query_chars=env_int("MAX_QUERY_CHARS", 500, minimum=1),
            max_body_bytes=env_int("MAX_BODY_BYTES", 64 * 1024, minimum=1024),
            page_size=env_int("PAGE_SIZE", 10, minimum=1),
            default_lang=default_lang,
            allowed_origins=env_list("ALLOWED_ORIGINS"),
            workers=env_int("WORKERS", 2, minimum=1),
            worker_timeout=env_int("WORKER_TIMEOUT", 60, minimum=1),
            access_log=os.environ.get("ACCESS_LOG", "").strip(),
            torch_threads=env_int("TORCH_THREADS", 0),
            admin_api_key=os.environ.get("ADMIN_API_KEY", "").strip(),
            max_upload_bytes=env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024),
            rate_limit_search=env_int("RATE_LIMIT_SEARCH", 300),
            rate_limit_ask=env_int("RATE_LIMIT_ASK", 60),
            trust_proxy=env_int("TRUST_PROXY", 0) > 0,
            log_queries=env_int("LOG_QUERIES", 0) > 0,
            rate_limit_path=os.environ.get("RATE_LIMIT_DB", "").strip(),
            redis_url=os.environ.get("REDIS_URL", "").strip(),
            public_url=_public_url(os.environ.get("PUBLIC_URL", "")),
            trusted_hosts=env_list("TRUSTED_HOSTS"),
        )

    @classmethod
    def for_data_dir(cls, data_dir: Path, **overrides: object) -> WebSettings:
        """Defaults over a given data directory (tests, benchmarks)."""
        base = IndexSettings.from_env()
        index = IndexSettings(data_dir=Path(data_dir), corpus_dir=base.corpus_dir,
                              keyword_weight=base.keyword_weight, vector_weight=base.vector_weight)
        return cls(index=index, **overrides)  # type: ignore[arg-type]

    @property
    def data_dir(self) -> Path:
        return self.index.data_dir

    @property
    def corpus_dir(self) -> Path:
        return self.index.corpus_dir

    @property
    def rate_limit_db(self) -> Path:
        return Path(self.rate_limit_path) if self.rate_limit_path else self.data_dir / "ratelimit.sqlite3"
