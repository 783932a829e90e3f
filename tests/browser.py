"""Headless Chromium for the HTML tests: the system's Chromium, driven by Playwright.

``scripts/test`` installs Debian's ``chromium`` when it is missing and it may (root with
apt-get); Playwright never downloads a browser here (``executable_path``).  Without a Chromium
the browser tests skip with the reason, except under CI, where they fail (as PostgreSQL's do).

``browser_page`` yields a :class:`PageWatch`: the page, every console error and page error,
and every request that left the page for anything but ``file:``, ``data:`` or ``blob:``.
Screenshots go to ``test-artifacts/`` at the repository root (git-ignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_ENV = "ECHOCHAMBER_TEST_CHROMIUM"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",  # WebGL on the CPU (sigma.js draws with WebGL)
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
]
LOCAL = ("file:", "data:", "blob:", "about:")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def chromium_path() -> str | None:
    """``$ECHOCHAMBER_TEST_CHROMIUM``, else /usr/bin/chromium, else chromium on the PATH."""
    named = os.environ.get(CHROMIUM_ENV)
    for candidate in (named, "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class PageWatch:
    """A page and what it did: console errors and requests that were not local."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        """Save a PNG of the page under test-artifacts/ and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session (skips, or fails under CI, without one)."""
    from tests.conftest import skip_or_fail

    exe = chromium_path()
    if exe is None:
        skip_or_fail(
            "browser tests need Chromium at /usr/bin/chromium (scripts/test installs Debian's "
            f"package when run as root) or ${CHROMIUM_ENV}"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # the test extra is not installed
        skip_or_fail(f"browser tests need the playwright package: {exc}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium: Any) -> Iterator[PageWatch]:
    """A fresh page (1000 x 900) in its own context, watched for errors and requests."""
    context = chromium.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    page.on(
        "console",
        lambda m: watch.errors.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: watch.errors.append(f"page error: {e}"))
    page.on("dialog", lambda d: (watch.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def on_request(request: Any) -> None:
        if not request.url.startswith(LOCAL):
            watch.requests.append(request.url)

    page.on("request", on_request)
    try:
        yield watch
    finally:
        context.close()
