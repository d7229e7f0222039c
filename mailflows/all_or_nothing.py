"""Several commands in one message: every one takes effect, or none does.

A reply may carry several commands (``Vụ án: 12/2026/HS`` and ``Giao: P2``). :func:`run` carries them
out one after the other inside one SAVEPOINT (``Session.begin_nested()``) of the flow's transaction,
each command in a savepoint of its own within it. A command that cannot be carried out raises
:class:`CommandFailed`; its own savepoint is rolled back and the remaining commands still run, on the
state the successful ones left, so that the answer can say of every command whether it would have
worked. If any command failed, the outer savepoint is rolled back: every write of every command goes
— rows, audit entries and queued notices alike, because they are all rows of the same session — and
the caller answers outside the savepoint, listing each command with its result.

Why a savepoint rather than validating everything first and then applying: the domain functions
(``models.assignments``) check their own preconditions — a forward needs an open assignment, a
decision a pending extension — and raise when they do not hold. A separate validation pass would copy
those checks and could drift from them; with a savepoint, the checks that decide are the ones that
write. Savepoints work on both databases (SQLite runs with the driver's own transaction handling
off, see ``models.db``).

Any other exception rolls the outer savepoint back and propagates: the message is then retried by the
processor as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

Action = Callable[[], str]
"""Carries one command out and returns its outcome (a :class:`~mailflows.outcomes.Outcome` in the flows)."""


class CommandFailed(Exception):
    """A command cannot be carried out; ``reason`` is for the sender (Vietnamese), ``outcome`` names it."""

    def __init__(self, reason: str, outcome: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.outcome = outcome


@dataclass(frozen=True)
class Command:
    """One command of a message: ``label`` as the sender wrote it, ``action`` does it and returns its outcome."""

    label: str
    action: Action


@dataclass(frozen=True)
class CommandResult:
    label: str
    ok: bool
    outcome: str  # the action's outcome, or the failure's
    reason: str = ""  # why it failed; "" when it worked


@dataclass(frozen=True)
class BatchResult:
    results: tuple[CommandResult, ...]

    @property
    def ok(self) -> bool:
        """True when every command worked (and so every command's writes are kept)."""
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[CommandResult, ...]:
        return tuple(r for r in self.results if not r.ok)


def run(session: Session, commands: Sequence[Command]) -> BatchResult:
    """Carry out ``commands`` in order; keep the writes of all of them or of none.

    Guarantees: when the result is ``ok``, every command's writes are part of the session's
    transaction (still to be committed by the caller); otherwise none of them is, and the session is
    as it was before the call (objects the commands changed are expired and reload their old state).
    Every command is tried, so the result has one entry per command, in order.
    """
    outer = session.begin_nested()
    results: list[CommandResult] = []
    try:
        for command in commands:
            inner = session.begin_nested()
            try:
                outcome = command.action()
            except CommandFailed as failed:
                inner.rollback()
                results.append(CommandResult(command.label, False, failed.outcome, failed.reason))
                continue
            except BaseException:
                if inner.is_active:
                    inner.rollback()
                raise
            inner.commit()
            results.append(CommandResult(command.label, True, outcome))
    except BaseException:
        if outer.is_active:
            outer.rollback()
        raise
    batch = BatchResult(tuple(results))
    if batch.ok:
        outer.commit()
    else:
        outer.rollback()
    return batch
