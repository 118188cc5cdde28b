"""The embeddable widget: `/widget.js` for other sites, and `/widget`, its demo page.

`/widget.js` always serves the current script, cached for a few minutes and revalidated
by ETag, so a site that embeds it picks up a new release within WIDGET_MAX_AGE.
`/widget.js?v=<hash>` with the current content hash is immutable and cached for a year:
our own pages load it that way, and a site may too (an old hash gets the current script
with the short cache, never a stale year-long copy). The script holds no data, so any
origin may load it (`Access-Control-Allow-Origin: *`, `Cross-Origin-Resource-Policy:
cross-origin`); the API behind it answers only ALLOWED_ORIGINS (webapp/cors.py).
"""
from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, render_template, request

from index import TRADITIONAL_TAG

from .i18n import traditional
from .public_url import public_base_url

WIDGET_FILE = Path(__file__).parent / "widget_assets" / "widget.js"
WIDGET_MAX_AGE = 300  # seconds: how long a release takes to reach every embedding page
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
_VERSION = re.compile(rb'const VERSION = "([^"]+)";')
# The simplified-Chinese labels, between their markers; served followed by their traditional twin.
_ZH_LABELS = re.compile(r"(    // zh:begin\n    zh: (\{.*?\n    \}),\n    // zh:end\n)", re.S)

widget = Blueprint("widget", __name__)


@dataclass(frozen=True)
class Attribute:
    name: str
    values: str
    default: str  # shown as written, or a catalogue key when default_is_key
    meaning: str  # catalogue key
    default_is_key: bool = False


# What the demo page documents; tests/test_widget.py checks it against widget.js.
ATTRIBUTES = (
    Attribute("endpoint", "https://…", "widget_attr_endpoint_default", "widget_attr_endpoint", True),
    Attribute("lang", "zh, en, zh-Hant", "widget_attr_lang_default", "widget_attr_lang", True),
    Attribute("mode", "inline, modal", "inline", "widget_attr_mode"),
    Attribute("placeholder", "…", "", "widget_attr_placeholder"),
    Attribute("results", "1–20", "5", "widget_attr_results"),
    Attribute("theme", "light, dark, auto", "light", "widget_attr_theme"),
    Attribute("answers", "auto, off", "auto", "widget_attr_answers"),
    Attribute("sort", "relevance, date", "relevance", "widget_attr_sort"),
    Attribute("shortcut", "on, off", "on", "widget_attr_shortcut"),
)
# (custom property, light default, catalogue key)
PROPERTIES = (
    ("--jm-accent", "#0b57d0", "widget_prop_accent"),
    ("--jm-accent-text", "#fff", "widget_prop_accent_text"),
    ("--jm-bg", "#fff", "widget_prop_bg"),
    ("--jm-text", "#1b2330", "widget_prop_text"),
    ("--jm-muted", "#556070", "widget_prop_muted"),
    ("--jm-border", "#cfd6df", "widget_prop_border"),
    ("--jm-mark", "#ffe27a", "widget_prop_mark"),
    ("--jm-hover", "#e9f0fe", "widget_prop_hover"),
    ("--jm-error", "#b3261e", "widget_prop_error"),
    ("--jm-radius", "10px", "widget_prop_radius"),
    ("--jm-font", "system-ui, …", "widget_prop_font"),
    ("--jm-font-size", "16px", "widget_prop_font_size"),
    ("--jm-shadow", "0 10px 30px …", "widget_prop_shadow"),
    ("--jm-panel-height", "min(70vh, 36em)", "widget_prop_panel_height"),
    ("--jm-modal-width", "42em", "widget_prop_modal_width"),
    ("--jm-z-index", "2147483000", "widget_prop_z_index"),
)
PARTS = ("box", "input", "spinner", "panel", "answer", "answer-title", "answer-text", "english", "citation",
         "sources", "source", "listbox", "option", "suggestion", "result", "result-link", "result-title",
         "snippet", "mark", "message", "error", "button", "dialog", "close")
EVENTS = (
    ("jm-search", "{query}", "widget_event_search"),
    ("jm-results", "{query, total, results}", "widget_event_results"),
    ("jm-answer", "{query, answered, citations}", "widget_event_answer"),
    ("jm-select", "{kind, url, docId, passageId}", "widget_event_select"),
    ("jm-error", "{code, status, retryAfter}", "widget_event_error"),
    ("jm-open / jm-close", "{}", "widget_event_open"),
)
KEYS = (
    ("/  Ctrl-K  ⌘K", "widget_key_open"),
    ("↑ ↓", "widget_key_arrows"),
    ("Enter", "widget_key_enter"),
    ("Esc", "widget_key_escape"),
)


@dataclass(frozen=True)
class WidgetScript:
    body: bytes
    gzipped: bytes
    version: str  # the release, VERSION in widget.js
    digest: str  # the content hash: the ETag and the ?v= of the immutable URL

    @classmethod
    def read(cls, path: Path = WIDGET_FILE) -> WidgetScript:
        body = with_traditional_labels(path.read_text(encoding="utf-8")).encode()
        found = _VERSION.search(body)
        if found is None:
            raise RuntimeError(f"{path} does not declare its VERSION")
        # mtime=0: the same bytes on every start and every worker, so one ETag for all
        return cls(body, gzip.compress(body, 9, mtime=0), found.group(1).decode(),
                   hashlib.sha256(body).hexdigest()[:16])


def with_traditional_labels(script: str) -> str:
    """widget.js with a "zh-Hant" labels block after the zh one: the same strings through
    OpenCC s2hk and the interface's word fixes (i18n.traditional), as the pages get them."""
    found = _ZH_LABELS.search(script)
    if found is None:
        raise RuntimeError("widget.js has no '// zh:begin' … '// zh:end' labels block")
    hant = f'    "{TRADITIONAL_TAG}": {traditional(found.group(2))},\n'
    return script[:found.end()] + hant + script[found.end():]


_cached: tuple[float, WidgetScript] | None = None


def widget_script() -> WidgetScript:
    """The script, read once per process and again only when the file changes on disk."""
    global _cached
    mtime = WIDGET_FILE.stat().st_mtime
    if _cached is None or _cached[0] != mtime:
        _cached = (mtime, WidgetScript.read())
    return _cached[1]


def widget_url() -> str:
    """Path of the current, immutable widget script (for our own pages)."""
    return f"/widget.js?v={widget_script().digest}"


@widget.get("/widget.js")
def widget_js() -> Response:
    script = widget_script()
    immutable = request.args.get("v") == script.digest
    gzipped = "gzip" in request.accept_encodings
    body = script.gzipped if gzipped else script.body
    response = Response(body, content_type="text/javascript; charset=utf-8")
    response.set_etag(script.digest + ("-gz" if gzipped else ""))
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = (f"public, max-age={IMMUTABLE_MAX_AGE}, immutable" if immutable
                                         else f"public, max-age={WIDGET_MAX_AGE}")
    response.headers["X-Widget-Version"] = script.version
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.make_conditional(request)
    return response


@widget.get("/widget")
def demo_page() -> str:
    script = widget_script()
    endpoint = public_base_url()
    return render_template("widget.html", endpoint=endpoint, widget_src=widget_url(), version=script.version,
                           attributes=ATTRIBUTES, properties=PROPERTIES, parts=PARTS, events=EVENTS, keys=KEYS)
