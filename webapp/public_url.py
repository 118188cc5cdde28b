"""The address the app prints for itself: /widget's copy-paste snippet, OpenAPI's servers.

The Host header is the client's to choose, so it is never printed as is: PUBLIC_URL when
configured; otherwise the request's own address only when Flask checked its host against
TRUSTED_HOSTS, or when it is a loopback address (development); otherwise a placeholder
the operator sees and replaces.
"""
from __future__ import annotations

from flask import current_app, request

PLACEHOLDER = "https://YOUR-HOST"
_LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def public_base_url() -> str:
    settings = current_app.config["WEB_SETTINGS"]
    if settings.public_url:
        return str(settings.public_url)
    if settings.trusted_hosts or request.host.rsplit(":", 1)[0] in _LOOPBACK:
        return request.host_url.rstrip("/")
    return PLACEHOLDER
