"""Finding the sender in the directory, the unit a mailbox belongs to, and that unit's clerks."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models.authority import CLERK, unit_chain
from vanthu.models.tables import Person, Unit


def person_by_email(session: Session, email: str) -> Person | None:
    """The active directory entry for ``email`` (case-insensitive), or None."""
    return session.execute(
        select(Person).where(Person.email == email.lower(), Person.active.is_(True))
    ).scalar_one_or_none()


def unit_by_code(session: Session, code: str) -> Unit:
    return session.execute(select(Unit).where(Unit.code == code)).scalar_one()


def drafter_symbol(person: Person) -> str:
    """The drafting department's symbol for a công văn number (``VP`` in ``12/VKSQN-VP``)."""
    return person.unit.symbol if person.unit.level == "department" else ""


def clerks_of(session: Session, unit: Unit) -> list[Person]:
    """The clerks who keep ``unit``'s records: its own, its departments', else the nearest parent's."""
    for u in unit_chain(unit):
        dept_ids = session.execute(select(Unit.id).where(Unit.parent_id == u.id, Unit.level == "department")).scalars()
        ids = [u.id, *dept_ids]
        people = session.execute(
            select(Person).where(Person.unit_id.in_(ids), Person.active.is_(True)).order_by(Person.email)
        ).scalars()
        clerks = [p for p in people if p.has_role(CLERK)]
        if clerks:
            return clerks
    return []
