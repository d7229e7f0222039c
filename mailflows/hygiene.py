"""Recognising machine-generated mail (never answered) and checking that a sender is who they say.

Rules learned from Request Tracker and Zammad: a message is machine-generated when it has a null
Return-Path, comes from mailer-daemon/postmaster, has ``Auto-Submitted`` other than ``no``,
``Precedence: bulk|junk|list``, ``X-Loop``/``X-Vanthu-Loop`` or ``List-Unsubscribe``, carries one of our
own Message-IDs, or looks like an out-of-office reply.
"""

from __future__ import annotations

import re

from mailflows.message import ParsedMessage
from models.text import fold

LOOP_HEADER = "x-vanthu-loop"

_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)([+@-]|$)", re.IGNORECASE)
_OOO_SUBJECT = re.compile(
    r"^(auto(matic)?[ -]?reply|out of (the )?office|abwesenheit|tra loi tu dong|vang mat|"
    r"dang nghi phep|autosvar|r[ée]ponse automatique)",
    re.IGNORECASE,
)


def machine_generated(msg: ParsedMessage, own_domain: str) -> str | None:
    """The reason ``msg`` is machine-generated, or None when a person wrote it."""
    h = msg.headers
    if msg.return_path == "":
        return "null Return-Path"
    if _DAEMONS.match(msg.sender.split("@", 1)[0]):
        return f"sender {msg.sender}"
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    if h.get("precedence", "").strip().lower() in ("bulk", "junk", "list"):
        return f"Precedence: {h['precedence'].strip()}"
    for name in (
        "x-loop",
        LOOP_HEADER,
        "list-unsubscribe",
        "list-id",
        "x-autoreply",
        "x-autorespond",
        "x-ms-exchange-inbox-rules-loop",
    ):
        if name in h:
            return f"{name} header"
    if own_domain and msg.message_id.lower().endswith(f"@{own_domain.lower()}>") and msg.message_id.startswith("<vt-"):
        return "our own Message-ID"
    if _OOO_SUBJECT.match(fold(msg.subject)):
        return "out-of-office subject"
    return None


def authenticated(msg: ParsedMessage, authserv_id: str) -> bool:
    """True if the receiving server (``authserv_id``) recorded DKIM or SPF pass for the message.

    Only Authentication-Results headers that start with our own server's id count: a sender can
    add such headers too, but not with the id our server writes (it removes look-alikes).
    """
    for value in msg.auth_results:
        server, _, results = value.partition(";")
        if server.strip().split()[0:1] != [authserv_id]:
            continue
        if re.search(r"\b(dkim|spf)\s*=\s*pass\b", results, re.IGNORECASE):
            return True
    return False
