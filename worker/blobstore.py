"""Keeping bytes under their SHA-256: every received message, and every document's files.

Files live at ``<root>/<aa>/<bb>/<sha256><suffix>`` (raw messages: ``<data_dir>/raw/…/<sha256>.eml``;
documents' files: ``<data_dir>/files/…/<sha256>``). Writing is atomic (temp file + rename) and
idempotent: the same bytes always land in the same file, so storing twice is harmless. A write the
file system refuses (full, read-only) raises :class:`StorageError`; a process killed in the middle of a
write leaves a ``.tmp-*`` file, which :meth:`BlobStore.remove_stale_temp_files` removes at the next start.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from vanthu.models.clock import SystemClock

TEMP_PREFIX = ".tmp-"
#: A temp file older than this was left by a process that died while writing it (a write takes seconds).
STALE_TEMP_SECONDS = 15 * 60.0


class StorageError(Exception):
    """The data directory refused a write (no space, read-only, no permission): a fault of the host.

    It says nothing about the data being written; the same write can succeed once the host is fixed.
    """

    def __init__(self, root: Path, cause: OSError) -> None:
        super().__init__(f"cannot write under {root}: {cause.strerror or cause} ({cause.filename or root})")
        self.root = root
        self.errno = cause.errno


class BlobStore:
    def __init__(self, root: Path, suffix: str = "") -> None:
        self.root = root
        self.suffix = suffix

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{self.suffix}"

    def put(self, raw: bytes) -> str:
        """Store ``raw`` (if not already there) and return its SHA-256 in hex.

        When this returns, the bytes are on disk under their hash. Raises :class:`StorageError` when the
        file system refuses the write; no partial file is left under the final name in any case.
        """
        digest = hashlib.sha256(raw).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        except OSError as exc:
            raise StorageError(self.root, exc) from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise StorageError(self.root, exc) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def remove_stale_temp_files(self, older_than: float = STALE_TEMP_SECONDS, now: float | None = None) -> int:
        """Delete ``.tmp-*`` files last modified more than ``older_than`` seconds ago; return how many.

        Such files are left by a process killed in the middle of :meth:`put`. Younger ones are kept: another
        worker sharing the directory may be writing them right now. Files that vanish meanwhile are skipped.
        """
        limit = (SystemClock().now().timestamp() if now is None else now) - older_than
        removed = 0
        for directory, _dirs, names in os.walk(self.root):
            for name in names:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = Path(directory, name)
                try:
                    if path.stat().st_mtime < limit:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        """Remove the stored copy (used only for messages vanthu must not keep, such as secret ones)."""
        self.path_for(sha256).unlink(missing_ok=True)
