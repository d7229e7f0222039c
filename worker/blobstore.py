"""Keeping bytes under their SHA-256: every received message, and every document's files.

Files live at ``<root>/<aa>/<bb>/<sha256><suffix>`` (raw messages: ``<data_dir>/raw/…/<sha256>.eml``;
documents' files: ``<data_dir>/files/…/<sha256>``). Writing is atomic (temp file + rename) and
idempotent: the same bytes always land in the same file, so storing twice is harmless.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path, suffix: str = "") -> None:
        self.root = root
        self.suffix = suffix

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{self.suffix}"

    def put(self, raw: bytes) -> str:
        """Store ``raw`` (if not already there) and return its SHA-256 in hex."""
        digest = hashlib.sha256(raw).hexdigest()
        target = self.path_for(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        """Remove the stored copy (used only for messages vanthu must not keep, such as secret ones)."""
        self.path_for(sha256).unlink(missing_ok=True)
