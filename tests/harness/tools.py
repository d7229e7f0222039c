"""Command-line tools the tests call on files vanthu writes: Poppler's ``pdftoppm`` and ``pdftotext``.

Like :func:`tests.harness.mailstack.ensure_dovecot`, a missing Debian package is installed with apt-get
when the tests run as root; otherwise the caller gets a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.harness.mailstack import ensure_debian_packages

POPPLER_PACKAGE = "poppler-utils"
POPPLER_TOOLS = ("pdftoppm", "pdftotext")


def _poppler_installed() -> bool:
    return all(shutil.which(tool) for tool in POPPLER_TOOLS)


def ensure_poppler() -> str | None:
    """Make sure ``pdftoppm`` and ``pdftotext`` are on the PATH (see ``ensure_debian_packages``)."""
    return ensure_debian_packages((POPPLER_PACKAGE,), _poppler_installed, "pdftoppm/pdftotext not found")


# --- Chromium (headless screenshots of the HTML mail) ---

CHROMIUM_PACKAGE = "chromium"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str | None:
    """The Chromium executable on the PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium() -> str | None:
    """Make sure Debian's ``chromium`` is installed (see ``ensure_debian_packages``)."""
    return ensure_debian_packages((CHROMIUM_PACKAGE,), lambda: chromium_path() is not None, "chromium not found")


def screenshot(html: os.PathLike[str] | str, png: os.PathLike[str] | str, profile: os.PathLike[str] | str) -> None:
    """Render the local HTML file ``html`` with headless Chromium into ``png`` (800×1400 window).

    ``profile`` is an empty directory for Chromium's user data (keeps it off the home directory). Nothing is
    fetched from the network. Raises RuntimeError with Chromium's output when no PNG was written.
    """
    exe = chromium_path()
    if exe is None:
        raise RuntimeError(f"chromium not found; install Debian's {CHROMIUM_PACKAGE} package")
    url = "file://" + os.path.abspath(os.fspath(html))
    result = subprocess.run(
        [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={os.fspath(profile)}",
            "--window-size=800,1400",
            "--hide-scrollbars",
            f"--screenshot={os.fspath(png)}",
            url,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if not os.path.exists(png) or os.path.getsize(png) == 0:
        raise RuntimeError(f"chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-2000:]}")
