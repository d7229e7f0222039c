"""The directory: who someone is, which unit a code names, and who leads and keeps the records of a unit.

The one place these questions are answered, for the flows, the scheduled reports and the worker alike.
Only active people count. Lists of people are sorted by email, so whoever reads them (and the mail they
get) sees a stable order.

Two kinds of "leaders of a unit" exist, with different names because they answer different questions:

* :func:`own_leaders` — the leaders of the unit itself (not above, not below): who gets that unit's digest
  and weekly report;
* :func:`nearest_leaders` — the unit's leaders, else those of the nearest unit above that has some: who is
  told about work given to the unit (a department without leaders of its own is led from above).

:func:`nearest_clerks` finds the clerks who keep a unit's records the same way.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models.authority import CLERK, LEADER, unit_chain
from vanthu.models.tables import Person, Unit


class UnknownUnit(LookupError):
    """No unit has the code asked for (a configuration naming a unit the directory lacks, a mistyped code)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"no unit with code {code!r}")
        self.code = code


def person_by_email(session: Session, email: str) -> Person | None:
    """The active directory entry for ``email`` (case-insensitive), or None."""
    return session.execute(
        select(Person).where(Person.email == email.lower(), Person.active.is_(True))
    ).scalar_one_or_none()


def find_unit(session: Session, code: str) -> Unit | None:
    """The unit with ``code`` (exact), or None."""
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()


def unit_by_code(session: Session, code: str) -> Unit:
    """The unit with ``code`` (exact); raises :class:`UnknownUnit` (a ``LookupError``) naming it when there is none."""
    unit = find_unit(session, code)
    if unit is None:
        raise UnknownUnit(code)
    return unit


def unit_codes(session: Session) -> list[str]:
    """Every unit's code, sorted (to say which codes exist when one is unknown)."""
    return list(session.execute(select(Unit.code).order_by(Unit.code)).scalars())


def units_with_own_leaders(session: Session) -> list[str]:
    """Codes of the units that have active leaders of their own (each gets its digest and weekly report), sorted.

    Two statements whatever the number of people: the roles are read in bulk, not per unit.
    """
    rows = session.execute(select(Person.unit_id, Person.roles).where(Person.active.is_(True))).all()
    with_leaders = {uid for uid, roles in rows if LEADER in (roles or [])}
    units = session.execute(select(Unit.id, Unit.code).order_by(Unit.code)).all()
    return [code for uid, code in units if uid in with_leaders]


def drafter_symbol(person: Person) -> str:
    """The drafting department's symbol for a công văn number (``VP`` in ``12/VKSQN-VP``)."""
    return person.unit.symbol if person.unit.level == "department" else ""


def _active_in(session: Session, unit_ids: list[int]) -> list[Person]:
    return list(
        session.execute(
            select(Person).where(Person.unit_id.in_(unit_ids), Person.active.is_(True)).order_by(Person.email)
        ).scalars()
    )


def own_leaders(session: Session, unit: Unit) -> list[Person]:
    """The active people with the leader role in ``unit`` itself (not above, not below), by email."""
    return [p for p in _active_in(session, [unit.id]) if p.has_role(LEADER)]


def nearest_leaders(session: Session, unit: Unit) -> list[Person]:
    """The leaders of ``unit`` itself, else of the nearest unit above that has some (``[]`` if none has), by email."""
    for u in unit_chain(unit):
        leaders = own_leaders(session, u)
        if leaders:
            return leaders
    return []


def nearest_clerks(session: Session, unit: Unit) -> list[Person]:
    """The clerks who keep ``unit``'s records: its own and its departments', else the nearest parent's
    (``[]`` if no unit up the chain has any), by email."""
    for u in unit_chain(unit):
        dept_ids = session.execute(select(Unit.id).where(Unit.parent_id == u.id, Unit.level == "department")).scalars()
        clerks = [p for p in _active_in(session, [u.id, *dept_ids]) if p.has_role(CLERK)]
        if clerks:
            return clerks
    return []
