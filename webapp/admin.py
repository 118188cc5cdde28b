"""Admin API and operator commands: add documents and rebuild while the app serves.

Every admin route needs the key in `Authorization: Bearer <key>` (or `X-API-Key`). With no
ADMIN_API_KEY configured admin is off: the routes answer 403 admin_disabled, so a
forgotten key can never mean an open door.
"""
from __future__ import annotations

import hmac
import json
from pathlib import Path
from typing import Any

import click
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from index import (
    IngestError,
    UploadNotSaved,
    corpus_ids,
    ingest_files,
    ingest_records,
    quarantined_uploads,
    read_build_status,
    reindex_pending,
    reindex_running,
    run_pending_builds,
    start_reindex,
)

from .current import current_engine
from .errors import ApiError
from .params import json_body

admin = Blueprint("admin", __name__, url_prefix="/api/admin")


def settings():  # noqa: ANN201 - WebSettings, imported lazily to keep this module light
    return current_app.config["WEB_SETTINGS"]


@admin.before_request
def require_key() -> None:
    configured = settings().admin_api_key
    if not configured:
        raise ApiError(403, "admin_disabled", "admin is off: set ADMIN_API_KEY to enable it")
    given = _presented_key()
    # compare_digest takes the same time wherever the strings differ: no timing oracle.
    if not given or not hmac.compare_digest(given.encode("utf-8"), configured.encode("utf-8")):
        raise ApiError(401, "unauthorized", "a valid admin key is required (Authorization: Bearer <key>)")
    request.max_content_length = settings().max_upload_bytes


def _presented_key() -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key", "").strip()


@admin.post("/documents")
def add_documents() -> tuple[Response, int]:
    """Upload files (multipart, any corpus format) or JSON documents; 202 once on disk."""
    protected = protected_ids()
    try:
        if request.files:
            uploads = [(f.filename or "upload.txt", f.read()) for f in request.files.getlist("files")]
            if not uploads:
                raise ApiError(400, "missing_parameter", "send the files in the multipart field 'files'")
            documents = ingest_files(settings().data_dir, uploads, protected)
        else:
            documents = ingest_records(settings().data_dir, _json_documents(), protected)
    except IngestError as exc:
        status, code = (409, "conflict") if exc.conflict else (400, "bad_document")
        raise ApiError(status, code, "; ".join(exc.problems)) from None
    except UploadNotSaved as exc:
        current_app.logger.error("upload not saved: %s", exc.__cause__ or exc)
        raise ApiError(507, "not_saved", str(exc)) from None
    start_reindex(settings().corpus_dir, settings().data_dir)
    return jsonify({"accepted": [d.id for d in documents], "reindex": "started",
                    "status": "/api/admin/status"}), 202


def _json_documents() -> list[Any]:
    body = json_body()
    if isinstance(body, dict) and isinstance(body.get("documents"), list):
        return body["documents"]
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and "text" in body:
        return [body]
    raise ApiError(400, "bad_body", 'send multipart files, or JSON {"documents": [{"id", "title", "text", …}]}')


@admin.post("/reindex")
def reindex() -> tuple[Response, int]:
    start_reindex(settings().corpus_dir, settings().data_dir)
    return jsonify({"reindex": "started", "status": "/api/admin/status"}), 202


@admin.get("/status")
def status() -> Response:
    engine = current_engine()
    data_dir = settings().data_dir
    return jsonify({
        "build": engine.build.marker,
        "documents": len(engine.build.documents),
        "passages": len(engine.build.passages),
        "reindex_running": reindex_running(data_dir),
        "reindex_pending": reindex_pending(data_dir),
        # The last build's outcome: which build, which documents it set aside and why.
        "last_build": read_build_status(data_dir),
        "quarantined": quarantined_uploads(data_dir),
    })


def protected_ids() -> set[str]:
    """Ids of the bundled corpus: an upload may add or replace its own documents, not those."""
    folder = settings().corpus_dir
    cache = current_app.extensions.setdefault("protected_ids", {})
    key = max((p.stat().st_mtime for p in Path(folder).glob("*") if p.is_file()), default=0.0)
    if cache.get("key") != key:
        cache.update(key=key, ids=corpus_ids(Path(folder)))
    return cache["ids"]


def register_admin(app: Flask) -> None:
    app.register_blueprint(admin)

    @app.cli.command("ingest")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--no-reindex", is_flag=True, help="only store the files; build later")
    def ingest_command(files: tuple[Path, ...], no_reindex: bool) -> None:
        """Add documents (any corpus format), then rebuild in the foreground."""
        cfg = app.config["WEB_SETTINGS"]
        with app.app_context():
            ids = protected_ids()
        try:
            documents = ingest_files(cfg.data_dir, [(f.name, f.read_bytes()) for f in files], ids)
        except IngestError as exc:
            raise click.ClickException("; ".join(exc.problems)) from None
        except UploadNotSaved as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(json.dumps({"accepted": [d.id for d in documents]}, ensure_ascii=False))
        if not no_reindex:
            click.echo(f"{run_pending_builds(cfg.corpus_dir, cfg.data_dir)} build(s)")

    @app.cli.command("reindex")
    def reindex_command() -> None:
        """Rebuild the index now (the served build switches when it is complete)."""
        cfg = app.config["WEB_SETTINGS"]
        click.echo(f"{run_pending_builds(cfg.corpus_dir, cfg.data_dir, force=True)} build(s)")

