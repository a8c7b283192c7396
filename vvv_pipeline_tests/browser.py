"""Headless Chromium for tests: find (or install) the browser, open pages, take screenshots.

The browser is Debian's ``chromium`` driven by Playwright through an explicit executable path;
Playwright's own browser downloads are never used (machines reach package registries only).
:func:`chromium_executable` returns ``$VVV_CHROMIUM`` or ``/usr/bin/chromium``; when that is
missing and the process runs as root it installs the Debian package under a file lock (pytest-xdist
workers may ask at the same moment), otherwise it fails with the command to run. It never skips:
a browser test that silently does not run proves nothing.

Screenshots go to :func:`artifacts_dir`: ``$VVV_ARTIFACTS_DIR`` or
``<repo>/data/artifacts/screenshots`` (git-ignored with the rest of ``data/``), so a person can
look at what the tests saw and CI can keep them as artifacts.
"""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_LOCK = Path("/tmp/vvv-chromium-install.lock")
INSTALL_COMMAND = "apt-get update && apt-get install -y chromium"
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARTIFACTS = REPO_ROOT / "data" / "artifacts" / "screenshots"
"""Under ``data/``, which ``.gitignore`` ignores except the shipped configuration."""
DEFAULT_VIEWPORT = (1400, 900)
LAUNCH_ARGS = ("--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu")
"""``--no-sandbox`` because CI runs as root; /dev/shm is small in containers."""
PLOTLY_RENDERED = """() => {
  const plots = document.querySelectorAll('.js-plotly-plot');
  return plots.length > 0 && [...plots].every(p => p.querySelector('.main-svg'));
}"""
"""True once every plotly container on the page has drawn its SVG."""


def chromium_executable() -> str:
    """Path of the Chromium binary to drive, installing Debian's package when root may."""
    configured = os.environ.get("VVV_CHROMIUM")
    path = Path(configured or DEFAULT_CHROMIUM)
    if _is_executable(path):
        return str(path)
    if configured:
        raise RuntimeError(f"VVV_CHROMIUM={configured} is not an executable file")
    if os.geteuid() != 0:
        raise RuntimeError(
            f"Chromium not found at {path}. Install Debian's browser with "
            f"`sudo sh -c '{INSTALL_COMMAND}'`, or set VVV_CHROMIUM to a Chromium binary."
        )
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be installing: wait, then recheck
        if not _is_executable(path):
            _apt_install_chromium()
    if not _is_executable(path):
        raise RuntimeError(f"`{INSTALL_COMMAND}` succeeded but {path} is still missing")
    return str(path)


def artifacts_dir() -> Path:
    """Screenshot folder (created): ``$VVV_ARTIFACTS_DIR`` or
    ``<repo>/data/artifacts/screenshots``."""
    configured = os.environ.get("VVV_ARTIFACTS_DIR")
    folder = Path(configured) if configured else DEFAULT_ARTIFACTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def open_page(
    url_or_file: str | Path,
    viewport: tuple[int, int] = DEFAULT_VIEWPORT,
    *,
    wait_for_plotly: bool = True,
    timeout_ms: int = 60_000,
) -> Iterator[Page]:
    """A loaded page in headless Chromium; with ``wait_for_plotly`` every plot has drawn first."""
    width, height = viewport
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=list(LAUNCH_ARGS)
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(_as_url(url_or_file), wait_until="load", timeout=timeout_ms)
            if wait_for_plotly:
                page.wait_for_function(PLOTLY_RENDERED, timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def save_screenshot(page: Page, out_png: str | Path) -> Path:
    """Full-page PNG of ``page`` at ``out_png`` (parents created); returns the path."""
    target = Path(out_png)
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target


def screenshot(
    url_or_file: str | Path,
    out_png: str | Path,
    viewport: tuple[int, int] = DEFAULT_VIEWPORT,
    *,
    wait_for_plotly: bool = True,
    timeout_ms: int = 60_000,
) -> Path:
    """Open ``url_or_file`` (a URL or a local path), wait for it to render, save a full-page PNG."""
    with open_page(
        url_or_file, viewport, wait_for_plotly=wait_for_plotly, timeout_ms=timeout_ms
    ) as page:
        return save_screenshot(page, out_png)


def png_size(path: str | Path) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR header; raises if ``path`` is not a PNG."""
    header = Path(path).read_bytes()[:24]
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _as_url(url_or_file: str | Path) -> str:
    text = str(url_or_file)
    if isinstance(url_or_file, str) and "://" in text:
        return text
    path = Path(url_or_file).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"page to open does not exist: {path}")
    return path.as_uri()


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _apt_install_chromium() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        ["sh", "-c", INSTALL_COMMAND], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = (result.stdout + result.stderr)[-2000:]
        raise RuntimeError(f"`{INSTALL_COMMAND}` failed ({result.returncode}):\n{tail}")
