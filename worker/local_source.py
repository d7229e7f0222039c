"""A mailbox on disk (MH folders), so that ``make demo`` needs no mail server.

The inbox is an MH folder: one file per message, named by its number, which serves as the UID.
Plain MH numbers restart at 1 once a folder is empty, so :func:`deliver_local` takes numbers from a
counter file (``.vanthu-uid``, under a file lock) instead and UIDs are never reused. Processed and
quarantined mail is moved to sibling MH folders. Outgoing mail in the demo is delivered the same
way, one mail tree per recipient (see :class:`worker.transports.LocalTransport`).
"""

from __future__ import annotations

import fcntl
import mailbox
import os
from pathlib import Path

UID_FILE = ".vanthu-uid"


class LocalSource:
    def __init__(self, name: str, root: Path, inbox: str = "INBOX") -> None:
        self.name = name
        self.root = root
        self.inbox_dir = root / inbox
        self.inbox_dir.mkdir(parents=True, exist_ok=True)
        self._mh = mailbox.MH(str(root), create=True)

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
        try:
            raw = (self.inbox_dir / str(uid)).read_bytes()
        except FileNotFoundError:
            return
        box = self._mh.get_folder(folder) if folder in self._mh.list_folders() else self._mh.add_folder(folder)
        box.add(raw)
        (self.inbox_dir / str(uid)).unlink(missing_ok=True)

    def close(self) -> None:
        self._mh.close()


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
