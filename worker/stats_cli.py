"""``vanthu stats --unit U --period 11/2026 --out file.xlsx``: the statistics workbook of a unit, on disk.

The figures are those the ``Thống kê`` mail command sends, computed for the unit and every unit below it
(departments and regional procuracies), with overdue assignments judged at the clock's present moment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from vanthu.models.clock import Clock, local_date
from vanthu.models.directory import find_unit, unit_codes
from vanthu.models.statistics import compute, descendant_units, parse_period
from vanthu.templates.statistics_xlsx import write_xlsx
from vanthu.worker.app import build_app
from vanthu.worker.config import ConfigError, load

PERIOD_HELP = "a month 11/2026, a year 2026, or a range 01/10/2026-31/10/2026"


def run(config_path: str, unit_code: str, period_text: str, out: str, *, clock: Clock | None = None) -> int:
    """Write the statistics of ``unit_code`` and its descendants for ``period_text`` to ``out``; return the exit code.

    0: written. 2: the configuration is invalid, the period cannot be read, or no unit has that code (the
    database is not changed, and nothing is written). Errors are printed to standard error. ``clock``
    (default: the system clock) sets the moment overdue assignments are judged at, for tests.
    """
    try:
        cfg = load(config_path)
    except ConfigError as exc:
        print(f"Configuration {config_path} has {len(exc.errors)} error(s):", file=sys.stderr)
        for key, message in exc.errors:
            print(f"  {key}: {message}", file=sys.stderr)
        return 2
    app = build_app(cfg, clock=clock)
    try:
        now = app.clock.now()
        period = parse_period(period_text, local_date(now, cfg.tz))
        if period is None:
            print(f"cannot read the period {period_text!r}: write {PERIOD_HELP}", file=sys.stderr)
            return 2
        with app.uow() as uow:
            session = uow.session
            unit = find_unit(session, unit_code)
            if unit is None:
                codes = ", ".join(unit_codes(session))
                print(f"no unit with code {unit_code!r} (known: {codes or 'none'})", file=sys.stderr)
                return 2
            stats = compute(session, descendant_units(session, unit.id), period, cfg.tz, now)
            unit_name = unit.name
        target = Path(out)
        if target.parent != Path():
            target.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(stats, target, unit_name=unit_name)
    finally:
        app.close()
    print(f"statistics of {unit_code} for {period.label}: {target}")
    return 0
