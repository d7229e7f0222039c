"""Who may do what to a document. One place for every permission rule of the numbering flows."""

from __future__ import annotations

from models.tables import Document, Person, Unit

OFFICER, CLERK, LEADER, ADMIN = "officer", "clerk", "leader", "admin"


def unit_chain(unit: Unit) -> list[Unit]:
    """The unit and its ancestors, nearest first."""
    chain: list[Unit] = []
    seen: set[int] = set()
    current: Unit | None = unit
    while current is not None and current.id not in seen:
        chain.append(current)
        seen.add(current.id)
        current = current.parent
    return chain


def governs(person: Person, unit: Unit) -> bool:
    """True if ``person`` belongs to ``unit`` or to a unit above it.

    People of a department act for the unit the department belongs to (the province's office
    clerks keep the province's registers), so a department counts as its parent here.
    """
    chain = {u.id for u in unit_chain(unit)}
    own = person.unit
    return person.unit_id in chain or (own.level == "department" and own.parent_id in chain)


def may_request_number(person: Person) -> bool:
    return person.active and person.has_role(OFFICER, CLERK, LEADER)


def may_cancel(person: Person, doc: Document) -> bool:
    """The requester, or a clerk or leader of the document's unit (or above)."""
    if not person.active:
        return False
    if doc.requester_id == person.id:
        return True
    return person.has_role(CLERK, LEADER) and governs(person, doc.unit)


def may_insert(person: Person, unit: Unit) -> bool:
    """Inserted numbers are for clerks and leaders of the unit (or above) only."""
    return person.active and person.has_role(CLERK, LEADER) and governs(person, unit)
