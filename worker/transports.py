"""Delivering a finished email: through SMTP (aiosmtplib), or into local mail folders for the demo."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol

import aiosmtplib

from vanthu.worker.local_source import deliver_local


class TransportError(Exception):
    """Delivery failed; ``permanent`` says whether trying again can help.

    ``unavailable`` means the server itself could not be reached or is shutting down (connection refused,
    dropped, timed out, 421): it says nothing about the message, so the try is not counted against it.
    """

    def __init__(self, message: str, *, permanent: bool = False, unavailable: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unavailable = unavailable


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    def __init__(
        self, *, host: str, port: int, tls: str, user: str = "", password: str = "", timeout: float = 30.0
    ) -> None:
        self._host, self._port, self._tls = host, port, tls
        self._user, self._password = user, password
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._host,
                port=self._port,
                use_tls=self._tls == "tls",
                start_tls=self._tls == "starttls",
                username=self._user or None,
                password=self._password or None,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipients refused: {exc}", permanent=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise TransportError(
                f"SMTP {exc.code}: {exc.message}", permanent=500 <= exc.code < 600, unavailable=exc.code == 421
            ) from exc
        except (
            aiosmtplib.SMTPConnectError,
            aiosmtplib.SMTPServerDisconnected,
            aiosmtplib.SMTPTimeoutError,
            OSError,
            TimeoutError,
        ) as exc:
            raise TransportError(f"SMTP server unreachable: {exc}", unavailable=True) from exc
        except aiosmtplib.SMTPException as exc:
            raise TransportError(f"SMTP: {exc}") from exc


class LocalTransport:
    """Writes each message into ``<root>/<recipient address>/INBOX`` (MH), for the embedded demo."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def send(self, message: EmailMessage) -> None:
        raw = message.as_bytes()
        recipients = [a.lower() for _, a in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
        for addr in recipients:
            await asyncio.to_thread(deliver_local, self.root / addr, raw)
