"""A watched IMAP mailbox, through imapclient: select, list, fetch without \\Seen, move, IDLE.

Every call may raise; the watcher treats any IMAP or socket error as "reconnect and resync"
(imapclient's ``idle_check`` can fail with "unterminated line", mjs/imapclient#519).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from typing import Any

from imapclient import IMAPClient

log = logging.getLogger(__name__)


class ImapSource:
    def __init__(
        self,
        name: str,
        *,
        host: str,
        port: int,
        tls: str,
        user: str,
        password: str,
        inbox: str = "INBOX",
        folders: tuple[str, ...] = (),
        timeout: float = 60.0,
    ) -> None:
        self.name = name
        self._host, self._port, self._tls = host, port, tls
        self._user, self._password = user, password
        self._inbox = inbox
        self._folders = folders
        self._timeout = timeout
        self._client: IMAPClient | None = None
        self._uidvalidity = 0
        self.can_idle = False
        self.can_move = False
        self._uidplus = False

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ConnectionError("not connected")
        return self._client

    def connect(self) -> None:
        """Log in, create the folders vanthu moves mail to, select the inbox (read-write)."""
        context = ssl.create_default_context()
        client = IMAPClient(
            self._host, port=self._port, ssl=self._tls == "tls", ssl_context=context, timeout=self._timeout
        )
        try:
            if self._tls == "starttls":
                client.starttls(context)
            sock = client.socket()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.login(self._user, self._password)
            caps = {c.upper() for c in client.capabilities()}
            self.can_idle = b"IDLE" in caps
            self.can_move = b"MOVE" in caps
            self._uidplus = b"UIDPLUS" in caps
            for folder in self._folders:
                if not client.folder_exists(folder):
                    client.create_folder(folder)
            info: dict[bytes, Any] = client.select_folder(self._inbox)
            self._uidvalidity = int(info[b"UIDVALIDITY"])
        except BaseException:
            _quiet_logout(client)
            raise
        self._client = client

    def uidvalidity(self) -> int:
        return self._uidvalidity

    def uids(self) -> list[int]:
        return sorted(int(u) for u in self.client.search("ALL"))

    def size(self, uid: int) -> int | None:
        item = self.client.fetch([uid], ["RFC822.SIZE"]).get(uid)
        return int(item[b"RFC822.SIZE"]) if item is not None and b"RFC822.SIZE" in item else None

    def fetch(self, uid: int) -> bytes | None:
        data = self.client.fetch([uid], ["BODY.PEEK[]"])
        item = data.get(uid)
        if item is None:
            return None
        raw = item.get(b"BODY[]")
        return bytes(raw) if raw is not None else None

    def move(self, uid: int, folder: str) -> None:
        if self.can_move:
            self.client.move([uid], folder)
            return
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [b"\\Deleted"], silent=True)
        if self._uidplus:
            self.client.uid_expunge([uid])
        else:
            self.client.expunge()

    def wait_for_change(self, timeout: float, stop: threading.Event) -> bool:
        """IDLE until the server reports a change, ``timeout`` seconds pass, or ``stop`` is set.

        Returns True if the server reported something. The IDLE is ended before returning, so
        the connection is ready for commands; ``timeout`` must stay below the server's 29 minutes.
        """
        client = self.client
        client.idle()
        changed = False
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=min(1.0, max(0.05, deadline - time.monotonic())))
                if responses:
                    changed = True
                    break
        finally:
            client.idle_done()
        return changed

    def noop(self) -> None:
        self.client.noop()

    def close(self) -> None:
        if self._client is not None:
            _quiet_logout(self._client)
            self._client = None


def _quiet_logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, ssl.SSLError, EOFError) as exc:
        log.debug("logout failed: %s", exc)
    except IMAPClient.Error as exc:
        log.debug("logout failed: %s", exc)
