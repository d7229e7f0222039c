"""A mailbox on disk (MH folders), so that ``make demo`` needs no mail server.

The inbox is an MH folder: one file per message, named by its number, which serves as the UID.
Plain MH numbers restart at 1 once a folder is empty, so :func:`deliver_local` takes numbers from a
counter file (``.vanthu-uid``, under a file lock) instead and UIDs are never reused. Processed and
quarantined mail is moved to sibling MH folders: the inbox file is first renamed to a claim name, which only
one of several racing movers can do, so a message is never moved twice. Outgoing mail in the demo is delivered the same
way, one mail tree per recipient (see :class:`worker.transports.LocalTransport`).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

UID_FILE = ".vanthu-uid"
MOVING_PREFIX = ".moving-"


class LocalSource:
    def __init__(self, name: str, root: Path, inbox: str = "INBOX") -> None:
        self.name = name
        self.root = root
        self.inbox_dir = root / inbox
        self.inbox_dir.mkdir(parents=True, exist_ok=True)
        self._restore_interrupted_moves()

    def _restore_interrupted_moves(self) -> None:
        """Put back into the inbox any message whose move was cut short (the next pass moves it again)."""
        for claimed in self.inbox_dir.glob(f"{MOVING_PREFIX}*"):
            uid = claimed.name.removeprefix(MOVING_PREFIX)
            if uid.isdigit() and not (self.inbox_dir / uid).exists():
                os.replace(claimed, self.inbox_dir / uid)

    def uidvalidity(self) -> int:
        return 1

    def uids(self) -> list[int]:
        return sorted(int(p.name) for p in self.inbox_dir.iterdir() if p.name.isdigit())

    def size(self, uid: int) -> int | None:
        try:
            return (self.inbox_dir / str(uid)).stat().st_size
        except FileNotFoundError:
            return None

    def fetch(self, uid: int) -> bytes | None:
        try:
            return (self.inbox_dir / str(uid)).read_bytes()
        except FileNotFoundError:
            return None

    def move(self, uid: int, folder: str) -> None:
        """Move message ``uid`` to ``folder``; a message another mover has already taken is left alone."""
        claimed = self.inbox_dir / f"{MOVING_PREFIX}{uid}"
        try:
            os.rename(self.inbox_dir / str(uid), claimed)
        except FileNotFoundError:
            return
        deliver_local(self.root, claimed.read_bytes(), folder)
        claimed.unlink()

    def close(self) -> None:
        """Nothing to release: every operation opens and closes its own files."""


def deliver_local(root: Path, raw: bytes, folder: str = "INBOX") -> int:
    """Put ``raw`` into MH folder ``folder`` under ``root`` with a never-reused number; return it."""
    target = root / folder
    target.mkdir(parents=True, exist_ok=True)
    with open(target / UID_FILE, "a+") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        text = counter.read().strip()
        existing = [int(p.name) for p in target.iterdir() if p.name.isdigit()]
        uid = max([int(text) if text.isdigit() else 0, *existing]) + 1
        tmp = target / f".tmp-{uid}"
        tmp.write_bytes(raw)
        os.replace(tmp, target / str(uid))
        counter.seek(0)
        counter.truncate()
        counter.write(str(uid))
        counter.flush()
    return uid
