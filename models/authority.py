"""Who may do what to a document. One place for every permission rule of the numbering flows."""

from __future__ import annotations

from vanthu.models.tables import Document, Person, Unit

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


def may_assign(person: Person, doc: Document, current_unit_id: int | None) -> bool:
    """A leader of the document's unit or above; or the leader of the department now holding it."""
    if not person.active or not person.has_role(LEADER):
        return False
    if person.unit_id in {u.id for u in unit_chain(doc.unit)}:
        return True
    return current_unit_id is not None and current_unit_id == person.unit_id


def holds(person: Person, unit_id: int | None, person_id: int | None) -> bool:
    """True if ``person`` is the assignee: the person named, or a member of the unit named."""
    return (person_id is not None and person.id == person_id) or (unit_id is not None and person.unit_id == unit_id)


def may_close(person: Person, doc: Document, unit_id: int | None, person_id: int | None) -> bool:
    """The assignee, a leader of the assignee's unit, a leader of the document's unit, or its clerk."""
    if not person.active:
        return False
    if holds(person, unit_id, person_id):
        return True
    if person.has_role(LEADER) and (
        person.unit_id in {u.id for u in unit_chain(doc.unit)} or person.unit_id == unit_id
    ):
        return True
    return person.has_role(CLERK) and governs(person, doc.unit)
