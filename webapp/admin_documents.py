"""`PUT` and `DELETE /api/admin/documents/<id>`: one document added, replaced or removed by
an incremental update (index/build/incremental.py), in seconds and published before the
answer, so the next request to any worker finds it.

The request runs the update itself (it holds the models already, through the engine).
When a full reindex is running, or the build lock stays taken, the change is on disk and
a full reindex is queued instead: 202 with `"update": "queued"`.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from index import (
    BadDocument,
    BuildBusy,
    BuildError,
    Document,
    IngestError,
    UploadNotSaved,
    added_path,
    delete_documents,
    document_from_record,
    put_documents,
    read_uploads,
    valid_document_id,
)

from . import admin as admin_module
from .admin import protected_ids, require_key, settings
from .current import current_engine
from .errors import ApiError
from .params import json_body

# Its own blueprint under the same prefix and the same key check as admin.py's.
admin_documents = Blueprint("admin_documents", __name__, url_prefix="/api/admin")
admin_documents.before_request(require_key)


@admin_documents.put("/documents/<path:doc_id>")
def put_document(doc_id: str) -> tuple[Response, int]:
    """Add or replace the document `doc_id` (JSON fields, or one file in multipart 'file')."""
    _refuse_protected(doc_id)
    document = _uploaded_document(doc_id)
    engine = current_engine()
    existed = engine.document(doc_id) is not None or added_path(settings().data_dir, doc_id).is_file()
    try:
        update = put_documents(settings().data_dir, [document], protected_ids(),
                               encoder=engine.encoder, second_encoder=engine.second_encoder)
    except IngestError as exc:
        status, code = (409, "conflict") if exc.conflict else (400, "bad_document")
        raise ApiError(status, code, "; ".join(exc.problems)) from None
    except UploadNotSaved as exc:
        raise ApiError(507, "not_saved", str(exc)) from None
    except (BuildBusy, BuildError, OSError) as exc:
        return _queued(doc_id, exc)
    return jsonify({"id": doc_id, "replaced": existed, "build": update.build_dir.name,
                    "passages": update.passages_added, "seconds": round(update.seconds, 3)}), 200 if existed else 201


@admin_documents.delete("/documents/<path:doc_id>")
def delete_document(doc_id: str) -> tuple[Response, int]:
    """Remove an added document from the index and from DATA_DIR/added."""
    _refuse_protected(doc_id)
    engine = current_engine()
    if not valid_document_id(doc_id) or engine.document(doc_id) is None and not added_path(settings().data_dir, doc_id).is_file():
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    try:
        update = delete_documents(settings().data_dir, [doc_id], encoder=engine.encoder,
                                  second_encoder=engine.second_encoder)
    except UploadNotSaved as exc:
        raise ApiError(507, "not_saved", str(exc)) from None
    except (BuildBusy, BuildError, OSError) as exc:
        return _queued(doc_id, exc)
    return jsonify({"id": doc_id, "deleted": True, "build": update.build_dir.name,
                    "passages": update.passages_removed, "seconds": round(update.seconds, 3)}), 200


def _refuse_protected(doc_id: str) -> None:
    if not valid_document_id(doc_id) and request.method == "PUT":
        raise ApiError(400, "bad_document", f"bad id {doc_id!r}: use letters, digits, '-', '_' or '.' (at most 120)")
    # The bundled corpus's documents live in CORPUS_DIR, which the app never writes; a
    # change to them would be undone by the next full build, so it is refused outright.
    if doc_id in protected_ids():
        raise ApiError(409, "conflict", f"{doc_id}: id belongs to a bundled corpus document and cannot be "
                                        "replaced or deleted (edit CORPUS_DIR and rebuild)")


def _uploaded_document(doc_id: str) -> Document:
    if request.files:
        files = request.files.getlist("file") or request.files.getlist("files")
        if len(files) != 1:
            raise ApiError(400, "missing_parameter", "send exactly one file in the multipart field 'file'")
        documents, problems = read_uploads([(files[0].filename or "upload.txt", files[0].read())])
        if problems:
            raise ApiError(400, "bad_document", "; ".join(problems))
        if len(documents) != 1:
            raise ApiError(400, "bad_document", f"the file holds {len(documents)} documents; PUT takes one")
        return dataclasses.replace(documents[0], id=doc_id)
    body: Any = json_body()
    if not isinstance(body, dict) or "text" not in body:
        raise ApiError(400, "bad_body", 'send JSON {"title", "text", …} or one file in the multipart field "file"')
    if body.get("id", doc_id) != doc_id:
        raise ApiError(400, "bad_document", f"the body's id {body.get('id')!r} is not the path's {doc_id!r}")
    try:
        return document_from_record({**body, "id": doc_id})
    except BadDocument as exc:
        raise ApiError(400, "bad_document", str(exc)) from None


def _queued(doc_id: str, why: Exception) -> tuple[Response, int]:
    """The change is on disk but the update could not run (a full build holds the lock, no
    build exists yet, or the update failed): a full reindex will include it."""
    current_app.logger.warning("update of %s left to a full reindex: %s", doc_id, why)
    # Through the admin module's name, so tests that stand in for the detached rebuild
    # (tests/test_schema.py) replace it here too.
    admin_module.start_reindex(settings().corpus_dir, settings().data_dir)
    return jsonify({"id": doc_id, "update": "queued", "reindex": "started", "status": "/api/admin/status"}), 202
