"""Headless Chromium for the browser tests (Debian's `chromium`, driven by Playwright).

`scripts/install.sh --browser` (run by `make test` and CI) installs chromium and the
Noto CJK fonts. Without chromium the browser tests skip locally, with the reason shown,
and fail under CI=true: a browser suite that silently did not run is not a passing one.

The `browser` fixture (tests/conftest.py) is one browser for the whole session: two
`sync_playwright()` instances cannot run in one thread, so test modules must share it.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def require_chromium() -> None:
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return
    reason = f"chromium not found at {CHROMIUM}: run scripts/install.sh --browser"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def launch_chromium() -> Iterator:
    require_chromium()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser, lang: str = "zh-CN", viewport: dict | None = None, javascript: bool = True):
    context = browser.new_context(locale=lang, viewport=viewport or DESKTOP, java_script_enabled=javascript,
                                  extra_http_headers={"Accept-Language": f"{lang},{lang[:2]};q=0.9"})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors  # type: ignore[attr-defined]
    return page


def shoot(page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
