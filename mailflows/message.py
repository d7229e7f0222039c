"""Parsing an incoming message into what the flows need, without trusting it.

Everything a sender typed is normalised to NFC. The command text of a reply is the part above the
quoted previous message, so quoted vanthu mail never triggers a command a second time.

Headers that carry raw 8-bit bytes instead of RFC 2047 encoded words (old Outlook, Foxmail and web
forms still send them) are decoded the way mail programs do (Thunderbird's order), see
:func:`decode_8bit`. :func:`parse` refuses a message it cannot answer (no usable From address) with a
:class:`MalformedMessage` that says why in Vietnamese and carries whatever sender and subject could be
read; :func:`salvage` reads such a message anyway, for a clerk who decides to register it.
"""

from __future__ import annotations

import codecs
import email
import email.policy
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import TypeVar

from vanthu.models.text import nfc

MAX_BODY_CHARS = 200_000


class MalformedMessage(Exception):
    """The bytes are not a message vanthu can answer (no usable From, unreadable headers or body).

    ``reason`` is Vietnamese, for the clerk's notice; ``detail`` is the technical cause, for the log.
    ``sender`` (the From header as far as it could be read, possibly not an address) and ``subject``
    are "" when even they could not be read.
    """

    def __init__(self, reason: str, *, detail: str = "", sender: str = "", subject: str = "") -> None:
        super().__init__(reason + (f" [{detail}]" if detail else ""))
        self.reason = reason
        self.detail = detail
        self.sender = sender
        self.subject = subject


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


# --- raw 8-bit headers ---

_CJK_RANGES = ((0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))
_MAX_LATIN_RUN = 2  # cp1252 text rarely has more than two accented letters in a row ("Größe", "ção")


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _longest_8bit_run(data: bytes) -> int:
    longest = run = 0
    for byte in data:
        run = run + 1 if byte >= 0x80 else 0
        longest = max(longest, run)
    return longest


def _gbk_plausible(data: bytes) -> bool:
    """The bytes decode as GBK and every non-ASCII character is Chinese (ideograph, CJK punctuation)."""
    try:
        text = data.decode("gbk")
    except UnicodeDecodeError:
        return False
    return all(ord(c) < 0x80 or any(lo <= ord(c) <= hi for lo, hi in _CJK_RANGES) for c in text)


def _cp1252_plausible(data: bytes) -> bool:
    """The bytes decode as cp1252 and look like accented Latin words, not runs of double-byte text."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return _longest_8bit_run(data) <= _MAX_LATIN_RUN


def _usable_charset(name: str | None) -> str | None:
    """The codec for a declared charset, or None when it is unknown or cannot decode 8-bit bytes."""
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip('"').lower()).name
    except LookupError:
        return None
    return None if codec in ("ascii", "utf-8") else codec


def decode_8bit(data: bytes, body_charset: str | None = None) -> str:
    """Decode a header's raw 8-bit bytes; never raises, and replaces only as the very last resort.

    The order is the one Thunderbird uses for such headers:

    1. UTF-8, when the bytes are valid UTF-8 (a valid multi-byte UTF-8 sequence practically never
       arises from Latin-1 or GBK text, so this check cannot misread them, while a single-byte body
       charset would decode *any* bytes and turn a UTF-8 subject into mojibake);
    2. the charset declared by the body's text part (the sender's mail program wrote both);
    3. GBK, when the bytes are valid GBK, every character is Chinese, and they are not plausible as
       cp1252 — cp1252 is plausible when it decodes and no more than two 8-bit bytes stand in a row
       (accented Latin words have isolated accented letters; GBK text is runs of byte pairs);
    4. cp1252 (a superset of the printable Latin-1), when it decodes;
    5. GBK, when it decodes at all;
    6. UTF-8 with U+FFFD for what is left.

    Every step is a single linear pass over the bytes.
    """
    if _valid_utf8(data):
        return data.decode("utf-8")
    codec = _usable_charset(body_charset)
    if codec is not None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    if _gbk_plausible(data) and not _cp1252_plausible(data):
        return data.decode("gbk")
    for fallback in ("cp1252", "gbk"):
        try:
            return data.decode(fallback)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _has_8bit(value: str) -> bool:
    """True when the parser kept raw 8-bit bytes of ``value`` as surrogate escapes."""
    return any("\udc80" <= c <= "\udcff" for c in value)


def _body_charset(msg: EmailMessage) -> str | None:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        return (part if part is not None else msg).get_content_charset()
    except (ValueError, TypeError, LookupError, AttributeError, IndexError):
        return None


def _decode_header(msg: EmailMessage, name: str, raw: str, body_charset: str | None) -> str:
    """One header value as text: unfolded, raw 8-bit bytes decoded by :func:`decode_8bit`, RFC 2047 words
    decoded by the header registry (or left as they are when the registry cannot parse the value)."""
    text = raw.replace("\r", "").replace("\n", "")
    if _has_8bit(text):
        text = decode_8bit(text.encode("ascii", "surrogateescape"), body_charset)
    try:
        return str(msg.policy.header_factory(name, text)).strip()  # type: ignore[attr-defined]
    except (ValueError, TypeError, IndexError, AttributeError, LookupError):
        return text.strip()


class _Headers:
    """The message's headers, grouped by lower-case name in one pass; each value is decoded once, on demand."""

    def __init__(self, msg: EmailMessage, body_charset: str | None) -> None:
        self._msg = msg
        self._charset = body_charset
        self._raw: dict[str, list[tuple[str, str]]] = {}
        for key, value in msg.raw_items():
            self._raw.setdefault(key.lower(), []).append((key, value if isinstance(value, str) else str(value)))
        self._decoded: dict[str, list[str]] = {}

    def names(self) -> list[str]:
        """The lower-case names, in the order they first appear."""
        return list(self._raw)

    def all(self, name: str) -> list[str]:
        """Every value of header ``name``, decoded; never raises."""
        low = name.lower()
        if low not in self._decoded:
            self._decoded[low] = [_decode_header(self._msg, k, v, self._charset) for k, v in self._raw.get(low, [])]
        return self._decoded[low]

    def first(self, name: str) -> str:
        values = self.all(name)
        return values[0] if values else ""

    def has(self, name: str) -> bool:
        return name.lower() in self._raw


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


def _attachment(part: EmailMessage) -> Attachment | None:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    return Attachment(nfc(part.get_filename() or "") or "attachment", part.get_content_type(), data)


#: How deep :func:`_attachments` looks into nested multiparts (S/MIME, Apple Mail, forwarded groups).
MAX_ATTACHMENT_DEPTH = 8


def _attachments(msg: EmailMessage, depth: int = 0) -> tuple[Attachment, ...]:
    """The files of ``msg``, including those inside nested multiparts (``multipart/signed`` of S/MIME, an
    Apple Mail ``multipart/mixed`` inside ``multipart/alternative``) down to ``MAX_ATTACHMENT_DEPTH``.

    An attached message (``message/rfc822``: a forward as attachment, the original inside a bounce) is one
    file, not opened: what it carries belongs to that other message.
    """
    found: list[Attachment] = []
    for part in msg.iter_attachments():
        if part.is_multipart():
            if depth < MAX_ATTACHMENT_DEPTH and part.get_content_type() != "message/rfc822":
                found.extend(_attachments(part, depth + 1))
            continue
        attachment = _attachment(part)
        if attachment is not None:
            found.append(attachment)
    return tuple(found)


_FILE_TYPES = ("application/", "image/")


def _attachments_tolerant(msg: EmailMessage) -> tuple[Attachment, ...]:
    """Every leaf part that looks like a file, each read on its own: one broken part loses only itself."""
    found: list[Attachment] = []
    for part in msg.walk():
        if part is msg and not msg.is_multipart() and msg.get_content_maintype() == "text":
            continue
        try:
            if part.is_multipart():
                continue
            named = bool(part.get_filename())
            typed = part.get_content_type().startswith(_FILE_TYPES) and part.get_content_disposition() != "inline"
            if not (named or typed):
                continue
            attachment = _attachment(part)
        except (ValueError, TypeError, LookupError, AttributeError, IndexError, AssertionError):
            continue
        if attachment is not None:
            found.append(attachment)
    return tuple(found)


def reachable_address(addr: str) -> bool:
    """True when ``addr`` is an addr-spec vanthu can send to: ASCII local part, a domain, valid syntax.

    A UTF-8 local part (RFC 6532) needs SMTPUTF8 all the way to the recipient, which vanthu does not
    promise, so such an address is readable but not reachable.
    """
    if not addr or "@" not in addr or not addr.rsplit("@", 1)[0].isascii():
        return False
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        return False
    return True


def _sender_problem(addr: str, from_header: str = "") -> str | None:
    """Why the From address cannot be answered, in Vietnamese; None when it can."""
    if not addr or "@" not in addr:
        shown = nfc(from_header).strip('"')
        if shown:
            return f"trường From «{shown}» không có địa chỉ thư điện tử của người gửi"
        return "thư không có địa chỉ người gửi (trường From trống hoặc thiếu)"
    if not addr.rsplit("@", 1)[0].isascii():
        return (
            f"địa chỉ người gửi «{addr}» có ký tự không phải ASCII (RFC 6532), hệ thống không gửi thư "
            "trả lời tới địa chỉ này được"
        )
    if not reachable_address(addr):
        return f"địa chỉ người gửi «{addr}» không đúng cú pháp"
    return None


_READ_ERRORS = (ValueError, TypeError, IndexError, AttributeError, LookupError, AssertionError)


def _message(raw: bytes, *, strict: bool) -> EmailMessage:
    """The parsed message; an empty one when even the header cannot be read (unless ``strict``)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
    except _READ_ERRORS as exc:
        if strict:
            raise MalformedMessage("không đọc được phần đầu (header) của thư", detail=str(exc)) from exc
        msg = EmailMessage()
    return msg


def _return_path(head: _Headers) -> str | None:
    """The Return-Path address; "" for a null one (``<>``); None when the header is absent."""
    if not head.has("Return-Path"):
        return None
    rp_raw = head.first("Return-Path")
    return parseaddr(rp_raw)[1] if rp_raw not in ("<>", "") else ""


T = TypeVar("T")


def _part(read: Callable[[], T], default: T, *, strict: bool, what: str, sender: str, subject: str) -> T:
    """``read()``; if it fails, MalformedMessage naming ``what`` could not be read (``strict``), else ``default``."""
    try:
        return read()
    except _READ_ERRORS as exc:
        if strict:
            raise MalformedMessage(what, detail=str(exc), sender=sender, subject=subject) from exc
        return default


def _read(raw: bytes, *, strict: bool) -> ParsedMessage:
    """The shared reader of :func:`parse` (``strict``: raise MalformedMessage) and :func:`salvage`."""
    msg = _message(raw, strict=strict)
    head = _Headers(msg, _body_charset(msg))
    from_header = head.first("From")
    subject = nfc(head.first("Subject"))
    name, addr = parseaddr(from_header)
    problem = _sender_problem(addr, from_header)
    if problem is not None and strict:
        raise MalformedMessage(problem, sender=nfc(from_header), subject=subject)
    shown = nfc(from_header)
    body = _part(
        lambda: nfc_lines(_body(msg)),
        "",
        strict=strict,
        what="không đọc được nội dung thư",
        sender=shown,
        subject=subject,
    )
    none: tuple[Attachment, ...] = ()
    attachments = _part(
        lambda: _attachments(msg),
        none,
        strict=strict,
        what="không đọc được tệp gửi kèm của thư",
        sender=shown,
        subject=subject,
    )
    if not strict and not attachments:
        attachments = _attachments_tolerant(msg)
    to = tuple(a.lower() for _, a in getaddresses(head.all("To") + head.all("Cc")) if a)
    return ParsedMessage(
        sender=addr.lower() if problem is None else "",
        sender_name=nfc(name) if problem is None else (nfc(name) or nfc(from_header)),
        to=to,
        subject=subject,
        body=body,
        command_text=command_part(body),
        message_id=head.first("Message-ID"),
        in_reply_to=head.first("In-Reply-To"),
        references=_ids(head.first("References")),
        headers={low: head.first(low) for low in head.names()},
        return_path=_return_path(head),
        attachments=attachments,
        auth_results=tuple(head.all("Authentication-Results")),
    )


def parse(raw: bytes) -> ParsedMessage:
    """Parse raw RFC 5322 bytes; raise MalformedMessage if the message has no From address vanthu can answer."""
    return _read(raw, strict=True)


def salvage(raw: bytes) -> ParsedMessage:
    """Read whatever can be read of a message :func:`parse` refused; never raises.

    ``sender`` is "" unless the From address is reachable; ``sender_name`` then holds the From header
    as far as it could be read. Attachments that the normal walk misses in a broken MIME structure are
    found by looking at every leaf part on its own.
    """
    try:
        return _read(raw, strict=False)
    except _READ_ERRORS:
        return _read(b"", strict=False)


def nfc_lines(text: str) -> str:
    """NFC-normalise each line, keeping the line structure (``Key: value`` lines matter)."""
    return "\n".join(unicodedata.normalize("NFC", line).rstrip() for line in text.replace("\r\n", "\n").split("\n"))
