"""The web face of the library: a search page, document pages and a JSON API.

    app = create_app(WebSettings.from_env())        # opens the index on first request
    app = create_app(settings, engine=my_engine)     # tests: serve an engine they built

Nothing heavy happens at import time or in `create_app`; `python -m webapp` preloads the
engine and the model before gunicorn forks its workers.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from index import TRADITIONAL_TAG, SearchEngine, guess_language, script_of

from .access_log import register_access_log
from .admin import register_admin
from .admin_documents import admin_documents
from .cors import register_cors
from .current import EXTENSION, EngineHolder
from .errors import register_error_handlers
from .i18n import CLIENT_MESSAGES, COOKIE, COOKIE_MAX_AGE, choose_language, format_date, translate
from .languages import HTML_LANG, NAMES, ui_language
from .limits import register_rate_limits
from .questions import is_question
from .security import register_security_headers
from .settings import WebSettings

__all__ = ["WebSettings", "create_app"]


def create_app(settings: WebSettings | None = None, engine: SearchEngine | None = None) -> Flask:
    settings = settings or WebSettings.from_env()
    app = Flask(__name__)
    app.config["WEB_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["JSON_SORT_KEYS"] = False
    if settings.trusted_hosts:  # Flask answers 400 to any other Host header
        app.config["TRUSTED_HOSTS"] = list(settings.trusted_hosts)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese stays readable
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the contract's field order
    app.extensions[EXTENSION] = EngineHolder(settings, engine)

    from .api import api, health
    from .pages import pages
    from .widget import widget

    app.register_blueprint(api)
    app.register_blueprint(health)
    app.register_blueprint(pages)
    app.register_blueprint(widget)
    register_admin(app)
    app.register_blueprint(admin_documents)
    register_error_handlers(app)
    register_security_headers(app)
    register_cors(app, settings.allowed_origins)
    # The access log first: its clock must start before a rate limit can end the request.
    register_access_log(app, settings.log_queries)
    register_rate_limits(app, {"search": settings.rate_limit_search, "ask": settings.rate_limit_ask})
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)  # type: ignore[method-assign]
    _register_language(app, settings)
    app.add_template_filter(http_url)
    app.add_template_filter(text_lang)
    return app


def text_lang(text: str) -> str:
    """The lang attribute for corpus text as written: zh-Hant, zh-CN or en (fonts and
    screen readers follow it; the text itself is never converted)."""
    script = script_of(text)
    return "en" if not script else HTML_LANG[TRADITIONAL_TAG] if script == "Hant" else HTML_LANG["zh"]


def http_url(url: str) -> str:
    """The URL if it is http(s), else "": a corpus `url: javascript:…` must not become a link."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def _register_language(app: Flask, settings: WebSettings) -> None:
    @app.before_request
    def pick_language() -> None:
        g.lang = choose_language(request, settings.default_lang, _question_language(settings.max_query_chars))

    @app.after_request
    def keep_language(response: Response) -> Response:
        asked = ui_language(request.args.get("lang"))
        if asked is not None and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    def template_helpers() -> dict[str, Any]:
        lang = g.get("lang", settings.default_lang)
        other = "zh" if lang == "en" else "en"
        other_script = "zh" if lang == TRADITIONAL_TAG else TRADITIONAL_TAG
        return {
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "t": lambda key, **values: translate(lang, key, **values),
            "format_date": lambda date: format_date(date, lang),
            "switch_url": _url_with(lang=other),
            "switch_lang": HTML_LANG[other],
            # Simplified <-> traditional (from English: to traditional, as the other link goes to simplified).
            "script_switch_url": _url_with(lang=other_script),
            "script_switch_lang": HTML_LANG[other_script],
            "script_switch_name": NAMES[other_script],
            "client_messages": {key: translate(lang, key) for key in CLIENT_MESSAGES},
            "max_query_chars": settings.max_query_chars,
        }


def _question_language(max_chars: int) -> str | None:
    """The language of a question typed into the search page, if the query is one:
    "zh-Hant" for Chinese typed in traditional characters."""
    query = request.args.get("q", "").strip() if request.path == "/" else ""
    if not query or len(query) > max_chars or not is_question(query):
        return None
    lang = guess_language(query)
    return TRADITIONAL_TAG if lang == "zh" and script_of(query) == "Hant" else lang


def _url_with(**changes: str) -> str:
    params = {k: v for k, v in request.args.items() if k not in changes}
    params.update(changes)
    return f"{request.path}?{urlencode(params)}"
