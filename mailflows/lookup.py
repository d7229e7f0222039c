"""Finding the unit or person a reply names: by code, email or name, with or without diacritics."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models.directory import person_by_email
from vanthu.models.tables import Person, Unit
from vanthu.models.text import fold

MATCH_CUTOFF = 88.0


@dataclass(frozen=True)
class Target:
    """A unit or a person; ``choices`` lists the candidates when the name was ambiguous."""

    unit: Unit | None = None
    person: Person | None = None
    choices: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.unit is not None or self.person is not None

    @property
    def label(self) -> str:
        if self.person is not None:
            return f"{self.person.full_name} <{self.person.email}>"
        return self.unit.name if self.unit is not None else ""


def resolve(session: Session, text: str) -> Target:
    """The unit or person ``text`` names: a unit code, an email, or a name typed loosely.

    An exact unit code or email wins. Otherwise names are compared folded (no diacritics, any case)
    with rapidfuzz; several names scoring alike give ``choices`` instead of a guess.
    """
    text = text.strip().strip(".;,")
    if not text:
        return Target()
    if "@" in text:
        return Target(person=person_by_email(session, text))
    units = list(session.execute(select(Unit)).scalars())
    for u in units:
        if fold(u.code) == fold(text) or fold(u.symbol) == fold(text):
            return Target(unit=u)
    people = list(session.execute(select(Person).where(Person.active.is_(True))).scalars())
    query = fold(text)
    scored: list[tuple[float, Unit | Person]] = []
    for u in units:
        scored.append((fuzz.token_set_ratio(query, fold(u.name)) if len(query) > 3 else 0.0, u))
    for p in people:
        local = fold(p.email.split("@", 1)[0])
        scored.append((max(fuzz.token_sort_ratio(query, fold(p.full_name)), 100.0 if query == local else 0.0), p))
    scored = [s for s in scored if s[0] >= MATCH_CUTOFF]
    if not scored:
        return Target()
    best = max(s[0] for s in scored)
    top = [obj for score, obj in scored if score >= best - 2.0]
    if len(top) > 1:
        return Target(choices=tuple(_describe(o) for o in top))
    only = top[0]
    return Target(unit=only) if isinstance(only, Unit) else Target(person=only)


def _describe(obj: Unit | Person) -> str:
    if isinstance(obj, Person):
        return f"{obj.full_name} <{obj.email}>"
    return f"{obj.code} — {obj.name}"
