"""Parsing an incoming message into what the flows need, without trusting it.

Everything a sender typed is normalised to NFC. The command text of a reply is the part above the
quoted previous message, so quoted vanthu mail never triggers a command a second time.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from models.text import nfc

MAX_BODY_CHARS = 200_000


class MalformedMessage(Exception):
    """The bytes are not a message vanthu can read (no From, unparseable headers …)."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMessage:
    """A received message, reduced to what the flows decide on."""

    sender: str  # the From address, lower case
    sender_name: str
    to: tuple[str, ...]
    subject: str  # NFC, one line
    body: str  # the whole plain-text body, NFC
    command_text: str  # the body above the quoted part
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    headers: dict[str, str]  # lower-case header name → first value (for hygiene checks)
    return_path: str | None  # None when absent, "" for the null sender <>
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    auth_results: tuple[str, ...] = ()


_TAGS = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"</?(?:p|div|br|tr|li|h\d|blockquote)[^>]*>", re.IGNORECASE)
_QUOTE_HTML = re.compile(
    r"<blockquote.*?</blockquote>|<div[^>]*(?:gmail_quote|divRplyFwdMsg|OutlookMessageHeader)[^>]*>.*",
    re.IGNORECASE | re.DOTALL,
)
_STYLE = re.compile(r"<(style|script|head)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)


def html_to_text(markup: str) -> str:
    """A plain rendering of HTML good enough to read ``Key: value`` lines from; quotes removed."""
    markup = _STYLE.sub("", markup)
    markup = _QUOTE_HTML.sub("", markup)
    markup = _BLOCK.sub("\n", markup)
    return html.unescape(_TAGS.sub("", markup))


# Lines that start the quoted previous message in common mail programs.
_QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*(?:Original Message|Forwarded message|Thư gốc|Tin nhắn gốc)"
    r"|_{5,}\s*$"
    r"|(?:From|Từ|Sent|Gửi|De)\s*:\s.*"
    r"|On .+ wrote:\s*$"
    r"|Vào .+ đã viết:\s*$"
    r"|.+<[^>]+@[^>]+>\s*(?:wrote|đã viết)\s*:\s*$)",
    re.IGNORECASE,
)


def command_part(body: str) -> str:
    """The lines written by the sender, above the first line that starts a quotation."""
    kept: list[str] = []
    for line in body.splitlines():
        if _QUOTE_START.match(line.strip()):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _first(msg: EmailMessage, name: str) -> str:
    value = msg.get(name)
    return str(value).strip() if value is not None else ""


def _ids(value: str) -> tuple[str, ...]:
    return tuple(re.findall(r"<[^<>\s]+>", value))


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content[:MAX_BODY_CHARS]


def _attachments(msg: EmailMessage) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for part in msg.iter_attachments():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        found.append(Attachment(nfc(part.get_filename() or "") or "attachment", part.get_content_type(), data))
    return tuple(found)


def parse(raw: bytes) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; raise MalformedMessage if there is no usable From address."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        from_header = _first(msg, "From")
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise MalformedMessage(f"headers cannot be read: {exc}") from exc
    name, addr = parseaddr(from_header)
    if not addr or "@" not in addr:
        raise MalformedMessage("no sender address in From")
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise MalformedMessage(f"invalid sender address {addr!r}") from exc
    rp_raw = msg.get("Return-Path")
    return_path: str | None = None
    if rp_raw is not None:
        return_path = parseaddr(str(rp_raw))[1] if str(rp_raw).strip() not in ("<>", "") else ""
    headers: dict[str, str] = {}
    for key in msg:
        low = key.lower()
        if low not in headers:
            try:
                headers[low] = str(msg.get(key, ""))
            except (ValueError, TypeError):
                headers[low] = ""
    try:
        body = nfc_lines(_body(msg))
        attachments = _attachments(msg)
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        raise MalformedMessage(f"body cannot be read: {exc}") from exc
    to = tuple(a.lower() for _, a in getaddresses([_first(msg, "To"), _first(msg, "Cc")]) if a)
    return ParsedMessage(
        sender=addr.lower(),
        sender_name=nfc(name),
        to=to,
        subject=nfc(_first(msg, "Subject")),
        body=body,
        command_text=command_part(body),
        message_id=_first(msg, "Message-ID"),
        in_reply_to=_first(msg, "In-Reply-To"),
        references=_ids(_first(msg, "References")),
        headers=headers,
        return_path=return_path,
        attachments=attachments,
        auth_results=tuple(str(v) for v in msg.get_all("Authentication-Results", [])),
    )


def nfc_lines(text: str) -> str:
    """NFC-normalise each line, keeping the line structure (``Key: value`` lines matter)."""
    return "\n".join(unicodedata.normalize("NFC", line).rstrip() for line in text.replace("\r\n", "\n").split("\n"))
