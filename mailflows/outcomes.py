"""What a flow's outcome means for the message on the server and in the raw store.

Flows return an outcome name (``number.given``, ``intake.registered``, ``quarantined.no-pdf`` …). The
processor moves the message to the quarantine folder for ``quarantined.*`` outcomes and to the
processed folder otherwise; a secret message (``quarantined.secret``) must also not be kept by vanthu,
so its raw copy is removed and nothing of its content is stored.
"""

from __future__ import annotations

QUARANTINE_PREFIX = "quarantined."
SECRET = "quarantined.secret"


def goes_to_quarantine(outcome: str) -> bool:
    return outcome.startswith(QUARANTINE_PREFIX)


def must_forget(outcome: str) -> bool:
    """True when vanthu may keep only the fact of the message (sender, time, marking, hash)."""
    return outcome == SECRET
