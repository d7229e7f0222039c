"""Command-line tools the tests call on files vanthu writes: Poppler's ``pdftoppm`` and ``pdftotext``.

Like :func:`tests.harness.mailstack.ensure_dovecot`, a missing Debian package is installed with apt-get
when the tests run as root; otherwise the caller gets a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from tests.harness.mailstack import apt_get

POPPLER_PACKAGE = "poppler-utils"
POPPLER_TOOLS = ("pdftoppm", "pdftotext")

_APT_HINT = (
    "install Poppler with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
    f"apt-get install -y --no-install-recommends {POPPLER_PACKAGE}"
)


def _poppler_installed() -> bool:
    return all(shutil.which(tool) for tool in POPPLER_TOOLS)


def ensure_poppler() -> str | None:
    """Make sure ``pdftoppm`` and ``pdftotext`` are on the PATH.

    Returns None when they are (possibly after installing ``poppler-utils`` with apt-get, which is only
    attempted as root), or a human-readable reason suitable for ``pytest.skip()`` when they are not and
    cannot be installed.
    """
    if _poppler_installed():
        return None
    if os.geteuid() != 0:
        return f"pdftoppm/pdftotext not found; {_APT_HINT}"
    install = ("install", "-y", "--no-install-recommends", POPPLER_PACKAGE)
    try:
        result = apt_get(*install)
        if result.returncode != 0:
            # Usually "Unable to locate package": the package lists have never been downloaded.
            update = apt_get("update")
            if update.returncode != 0:
                return f"apt-get update failed ({update.stderr.strip()[-500:]}); {_APT_HINT}"
            result = apt_get(*install)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not run apt-get ({exc}); {_APT_HINT}"
    if result.returncode != 0:
        return f"apt-get install failed ({result.stderr.strip()[-500:]}); {_APT_HINT}"
    if not _poppler_installed():
        return f"apt-get install succeeded but {' or '.join(POPPLER_TOOLS)} is still missing"
    return None


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

_CHROMIUM_HINT = (
    "install Chromium with: sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive "
    f"apt-get install -y --no-install-recommends {CHROMIUM_PACKAGE}"
)


def chromium_path() -> str | None:
    """The Chromium executable on the PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_chromium() -> str | None:
    """Make sure Debian's ``chromium`` is installed.

    Returns None when it is (possibly after installing it with apt-get, which is only attempted as root), or
    a human-readable reason suitable for ``pytest.skip()`` when it is not and cannot be installed.
    """
    if chromium_path() is not None:
        return None
    if os.geteuid() != 0:
        return f"chromium not found; {_CHROMIUM_HINT}"
    install = ("install", "-y", "--no-install-recommends", CHROMIUM_PACKAGE)
    try:
        result = apt_get(*install)
        if result.returncode != 0:
            update = apt_get("update")
            if update.returncode != 0:
                return f"apt-get update failed ({update.stderr.strip()[-500:]}); {_CHROMIUM_HINT}"
            result = apt_get(*install)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"could not run apt-get ({exc}); {_CHROMIUM_HINT}"
    if result.returncode != 0:
        return f"apt-get install failed ({result.stderr.strip()[-500:]}); {_CHROMIUM_HINT}"
    if chromium_path() is None:
        return "apt-get install succeeded but chromium is still missing"
    return None


def screenshot(html: os.PathLike[str] | str, png: os.PathLike[str] | str, profile: os.PathLike[str] | str) -> None:
    """Render the local HTML file ``html`` with headless Chromium into ``png`` (800×1400 window).

    ``profile`` is an empty directory for Chromium's user data (keeps it off the home directory). Nothing is
    fetched from the network. Raises RuntimeError with Chromium's output when no PNG was written.
    """
    exe = chromium_path()
    if exe is None:
        raise RuntimeError(f"chromium not found; {_CHROMIUM_HINT}")
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
