"""The mailbox interface the processor works against, whatever holds the mail."""

from __future__ import annotations

from typing import Protocol


class MailSource(Protocol):
    """A mailbox folder with stable integer UIDs, from which processed mail is moved away.

    Implementations: :class:`worker.imap_source.ImapSource` (a real server through imapclient) and
    :class:`worker.local_source.LocalSource` (an MH folder on disk, for the demo).
    """

    name: str

    def uidvalidity(self) -> int:
        """The UIDVALIDITY of the inbox as last selected."""
        ...

    def uids(self) -> list[int]:
        """UIDs of all messages waiting in the inbox, ascending."""
        ...

    def size(self, uid: int) -> int | None:
        """The size in bytes of message ``uid`` as the server reports it (None if it has gone)."""
        ...

    def fetch(self, uid: int) -> bytes | None:
        """The raw bytes of message ``uid`` (None if it has gone meanwhile), without marking it read."""
        ...

    def move(self, uid: int, folder: str) -> None:
        """Move message ``uid`` from the inbox to ``folder`` (created if missing)."""
        ...
