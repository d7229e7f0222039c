"""Bringing the database's units, registers and people in line with the configuration.

Units and registers are added or updated, never deleted (documents refer to them). People missing
from the directory file are deactivated, not deleted, so that history keeps their names.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from vanthu.models import audit
from vanthu.models.tables import Person, Register, Unit
from vanthu.worker.config import Config


def sync(session: Session, config: Config, *, now: dt.datetime) -> dict[str, int]:
    """Apply the configuration; returns counts of what changed (and audits them when non-zero)."""
    changes = {"units": 0, "registers": 0, "people_added": 0, "people_changed": 0, "people_deactivated": 0}
    units = _sync_units(session, config, changes)
    _sync_registers(session, config, units, changes)
    _sync_people(session, config, units, changes)
    session.flush()
    if any(changes.values()):
        audit.append(
            session,
            at=now,
            tz=config.tz,
            actor="vanthu",
            action="config.sync",
            object_type="directory",
            object_id="config",
            details=changes,
        )
    return changes


def _sync_units(session: Session, config: Config, changes: dict[str, int]) -> dict[str, Unit]:
    """Add or update every configured unit, then its parent and mailbox; every unit by code."""
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    for uc in config.units:
        unit = units.get(uc.code)
        if unit is None:
            unit = Unit(code=uc.code, name=uc.name, symbol=uc.symbol, level=uc.level)
            session.add(unit)
            units[uc.code] = unit
            changes["units"] += 1
        elif (unit.name, unit.symbol, unit.level) != (uc.name, uc.symbol, uc.level):
            unit.name, unit.symbol, unit.level = uc.name, uc.symbol, uc.level
            changes["units"] += 1
    session.flush()
    mail = {m.unit: m.address for m in config.mailboxes}
    for uc in config.units:
        unit = units[uc.code]
        parent_id = units[uc.parent].id if uc.parent else None
        if unit.parent_id != parent_id or unit.mailbox_address != mail.get(uc.code):
            unit.parent_id = parent_id
            unit.mailbox_address = mail.get(uc.code)
            changes["units"] += 1
    return units


def _sync_registers(session: Session, config: Config, units: dict[str, Unit], changes: dict[str, int]) -> None:
    regs = {(r.unit_id, r.code): r for r in session.execute(select(Register)).scalars()}
    for rc in config.registers:
        unit = units[rc.unit]
        month, day = rc.start_month_day
        values = {
            "name": rc.name,
            "direction": rc.direction,
            "category": rc.category,
            "doc_types": list(rc.doc_types),
            "year_start_month": month,
            "year_start_day": day,
            "pattern": rc.pattern,
            "untyped_pattern": rc.untyped_pattern,
            "secret": rc.secret,
        }
        reg = regs.get((unit.id, rc.code))
        if reg is None:
            session.add(Register(unit_id=unit.id, code=rc.code, **values))
            changes["registers"] += 1
        elif any(getattr(reg, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(reg, k, v)
            changes["registers"] += 1


def _sync_people(session: Session, config: Config, units: dict[str, Unit], changes: dict[str, int]) -> None:
    """Add or update the listed people; deactivate (never delete) the active ones no longer listed."""
    people = {p.email: p for p in session.execute(select(Person)).scalars()}
    listed = set()
    for pc in config.people:
        listed.add(pc.email)
        unit_id = units[pc.unit].id
        person = people.get(pc.email)
        wanted = (pc.full_name, unit_id, list(pc.roles), True)
        if person is None:
            session.add(
                Person(email=pc.email, full_name=pc.full_name, unit_id=unit_id, roles=list(pc.roles), active=True)
            )
            changes["people_added"] += 1
        elif (person.full_name, person.unit_id, list(person.roles), person.active) != wanted:
            person.full_name, person.unit_id, person.roles, person.active = wanted
            changes["people_changed"] += 1
    for email, person in people.items():
        if email not in listed and person.active:
            person.active = False
            changes["people_deactivated"] += 1
