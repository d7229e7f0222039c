"""A watched IMAP mailbox, through imapclient: select, list, fetch without \\Seen, move, IDLE.

Every call may raise; the watcher treats any IMAP or socket error as "reconnect and resync"
(imapclient's ``idle_check`` can fail with "unterminated line", mjs/imapclient#519). imapclient's
``idle_check`` also hides a closed connection: on EOF it returns ``[]``, like a quiet server, so
:meth:`ImapSource.wait_for_change` looks at the socket itself after every empty check and raises
:class:`ServerClosedConnection` at once.

Several workers may work on one mailbox (briefly, while a mailbox lease changes hands): a message the
other one has already moved is gone, and :meth:`ImapSource.move` and :meth:`ImapSource.fetch` treat that
as done, not as a connection failure.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from vanthu.worker.resilience import StopFlag

log = logging.getLogger(__name__)


class ServerClosedConnection(ConnectionError):
    """The IMAP server closed the connection (restart, shutdown, idle timeout): reconnect now."""


def peer_closed(sock: socket.socket) -> bool:
    """True when the other end has closed or reset the TCP connection under ``sock``.

    Peeks at the kernel's receive queue through a duplicate of the descriptor, without waiting and
    without consuming anything: end-of-file (or a reset) means closed; pending bytes — even a partial TLS
    record — or nothing at all mean the connection is alive. The socket's own mode is untouched.
    """
    try:
        probe = socket.fromfd(sock.fileno(), sock.family, sock.type)
    except (OSError, ValueError):
        return True  # the descriptor is already gone
    try:
        return probe.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    finally:
        probe.close()


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
        """Every UID in the inbox now, ascending; a NOOP first makes the server report mail just delivered."""
        self.client.noop()
        return sorted(int(u) for u in self.client.search("ALL"))

    def _still_there(self, uid: int) -> bool:
        self.client.noop()
        return bool(self.client.search(["UID", str(uid)]))

    def size(self, uid: int) -> int | None:
        item = self.client.fetch([uid], ["RFC822.SIZE"]).get(uid)
        return int(item[b"RFC822.SIZE"]) if item is not None and b"RFC822.SIZE" in item else None

    def fetch(self, uid: int) -> bytes | None:
        """The message's bytes; None when it has gone (another worker moved it meanwhile)."""
        try:
            data = self.client.fetch([uid], ["BODY.PEEK[]"])
        except IMAPClientError:
            if not self._still_there(uid):
                log.info("mailbox %s uid=%s: gone before it was fetched (moved by another worker)", self.name, uid)
                return None
            raise
        item = data.get(uid)
        if item is None:
            return None
        raw = item.get(b"BODY[]")
        return bytes(raw) if raw is not None else None

    def move(self, uid: int, folder: str) -> None:
        """Move ``uid`` to ``folder``. A message another worker has already moved counts as moved.

        Dovecot answers a MOVE racing another session's with ``NO [EXPUNGEISSUED]``, or silently moves
        nothing when the message is gone: either way the message has left the inbox, which is all we want.
        """
        try:
            self._move(uid, folder)
        except IMAPClientError as exc:
            if "EXPUNGEISSUED" in str(exc).upper() or not self._still_there(uid):
                log.info("mailbox %s uid=%s: already moved by another worker (%s)", self.name, uid, exc)
                return
            raise

    def _move(self, uid: int, folder: str) -> None:
        if self.can_move:
            self.client.move([uid], folder)
            return
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [b"\\Deleted"], silent=True)
        if self._uidplus:
            self.client.uid_expunge([uid])
        else:
            self.client.expunge()

    def wait_for_change(self, timeout: float, stop: StopFlag) -> bool:
        """IDLE until the server reports a change, ``timeout`` seconds pass, or ``stop`` is set.

        Returns True if the server reported something. The IDLE is ended before returning, so
        the connection is ready for commands; ``timeout`` must stay below the server's 29 minutes.
        Raises :class:`ServerClosedConnection` within about a second of the server closing the
        connection (imapclient's ``idle_check`` reports that as "nothing yet").
        """
        client = self.client
        client.idle()
        changed = False
        closed = False
        deadline = time.monotonic() + timeout
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                responses = client.idle_check(timeout=min(1.0, max(0.05, deadline - time.monotonic())))
                if responses:
                    changed = True
                    break
                if peer_closed(client.socket()):
                    closed = True
                    raise ServerClosedConnection(f"mailbox {self.name}: the IMAP server closed the connection")
        finally:
            if not closed:
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
