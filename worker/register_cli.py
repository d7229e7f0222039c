"""``vanthu export register``: a register of Phụ lục IV (Nghị định 30/2020) on disk, as XLSX and PDF.

The same files the ``Sổ:`` mail command sends, for one unit's register and one period, written into a
directory as ``<stem>.xlsx`` and ``<stem>.pdf`` (``so-den-VKSQN-DEN-2026-11``). Nothing in the database
is changed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from vanthu.models.clock import Clock
from vanthu.models.directory import find_unit, unit_codes
from vanthu.models.registers_export import (
    RegisterChoiceError,
    RegisterExportError,
    RegisterKind,
    parse_period,
    resolve_register,
    rows,
)
from vanthu.models.tables import Register
from vanthu.models.text import fold
from vanthu.templates.register_pdf import FontMissingError, write_pdf
from vanthu.templates.register_xlsx import write_xlsx
from vanthu.worker.app import build_app
from vanthu.worker.config import ConfigError, load

PERIOD_HELP = "a month 11/2026, a year 2026 (the register's own year), or a range 01/10/2026-31/10/2026"
KIND_NAMES: dict[str, RegisterKind] = {
    "incoming": RegisterKind.INCOMING,
    "in": RegisterKind.INCOMING,
    "den": RegisterKind.INCOMING,
    "outgoing": RegisterKind.OUTGOING,
    "out": RegisterKind.OUTGOING,
    "di": RegisterKind.OUTGOING,
    "follow_up": RegisterKind.FOLLOW_UP,
    "follow-up": RegisterKind.FOLLOW_UP,
    "theo doi": RegisterKind.FOLLOW_UP,
    "theo-doi": RegisterKind.FOLLOW_UP,
}


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def run(
    config_path: str,
    unit_code: str,
    register_code: str,
    kind: str,
    period_text: str,
    out_dir: str,
    *,
    clock: Clock | None = None,
) -> int:
    """Write register ``register_code`` of unit ``unit_code`` as ``kind`` for ``period_text`` into
    ``out_dir`` (created when missing), as XLSX and PDF; return the exit code.

    ``kind`` is ``incoming``, ``outgoing`` or ``follow_up`` (also ``đến``, ``đi``, ``theo dõi``); an empty
    ``register_code`` means the unit's only register of that kind. 0: both files written, their paths
    printed. 2: the configuration, unit, register, kind or period is wrong, the register is secret (kept
    on paper only), or the PDF font is missing (the XLSX is then written all the same); the reason goes
    to standard error. ``clock`` (default: the system clock) is when open deadlines are judged, for tests.
    """
    wanted = KIND_NAMES.get(fold(kind))
    if wanted is None:
        return _fail(f"unknown register kind {kind!r}: use incoming, outgoing or follow_up")
    period = parse_period(period_text)
    if period is None:
        return _fail(f"cannot read the period {period_text!r}: write {PERIOD_HELP}")
    try:
        cfg = load(config_path)
    except ConfigError as exc:
        lines = [f"Configuration {config_path} has {len(exc.errors)} error(s):"]
        lines += [f"  {key}: {message}" for key, message in exc.errors]
        return _fail("\n".join(lines))
    app = build_app(cfg, clock=clock)
    try:
        with app.uow() as uow:
            session = uow.session
            unit = find_unit(session, unit_code)
            if unit is None:
                codes = ", ".join(unit_codes(session))
                return _fail(f"no unit with code {unit_code!r} (known: {codes or 'none'})")
            try:
                if register_code:
                    register = session.execute(
                        select(Register).where(Register.unit_id == unit.id, Register.code == register_code)
                    ).scalar_one_or_none()
                    if register is None:
                        codes = ", ".join(
                            session.execute(
                                select(Register.code).where(Register.unit_id == unit.id).order_by(Register.code)
                            ).scalars()
                        )
                        return _fail(f"unit {unit_code} has no register {register_code!r} (known: {codes or 'none'})")
                    register = resolve_register(session, register, wanted)
                else:
                    register = resolve_register(session, unit, wanted)
                start, end = period.dates(register)
                table = rows(session, register, wanted, start, end, cfg.tz, now=app.clock.now())
            except RegisterChoiceError as exc:
                return _fail(f"{exc} ({'; '.join(exc.choices)})")
            except RegisterExportError as exc:
                return _fail(str(exc))
    finally:
        app.close()
    target = Path(out_dir)
    target.mkdir(parents=True, exist_ok=True)
    xlsx = target / f"{table.file_stem}.xlsx"
    write_xlsx(table, xlsx)
    print(f"{table.title}, {table.period_label}: {len(table.rows)} row(s)")
    print(xlsx)
    pdf = target / f"{table.file_stem}.pdf"
    try:
        write_pdf(table, pdf)
    except FontMissingError as exc:
        return _fail(str(exc))
    print(pdf)
    return 0
