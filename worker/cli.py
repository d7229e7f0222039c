"""The ``vanthu`` command: check-config, db upgrade, run, audit verify, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from vanthu.models import audit
from vanthu.models.migrate import upgrade
from vanthu.worker.app import build_app
from vanthu.worker.config import Config, ConfigError, load
from vanthu.worker.directory_sync import sync


def _load(path: str) -> Config:
    try:
        return load(path)
    except ConfigError as exc:
        print(f"Configuration {path} has {len(exc.errors)} error(s):", file=sys.stderr)
        for key, message in exc.errors:
            print(f"  {key}: {message}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_check_config(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    if cfg.service.clock_start:
        print(
            f"WARNING: service.clock_start = {cfg.service.clock_start!r}: the worker's clock is shifted "
            "(for rehearsals and tests only; remove it in production)",
            file=sys.stderr,
        )
    print(
        f"OK: {len(cfg.units)} units, {len(cfg.registers)} registers, {len(cfg.mailboxes)} mailboxes, "
        f"{len(cfg.people)} people; database {cfg.service.database_url.split('@')[-1]}"
    )
    return 0


def prepare_database(cfg: Config) -> None:
    """Migrate the database to the newest schema and bring the directory in line with the config."""
    upgrade(cfg.service.database_url)
    app = build_app(cfg)
    try:
        with app.uow() as uow:
            changes = sync(uow.session, cfg, now=app.clock.now())
            uow.commit()
        logging.getLogger("vanthu").info("directory synchronised: %s", changes)
    finally:
        app.close()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    prepare_database(cfg)
    print("database is up to date")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from vanthu.worker.runner import retry_while_database_down, run_forever, run_once

    cfg = _load(args.config)
    if args.once:
        prepare_database(cfg)
    elif not retry_while_database_down(lambda: prepare_database(cfg), "start-up"):
        return 0  # asked to stop while waiting for the database
    app = build_app(cfg)
    try:
        if args.once:
            handled = asyncio.run(run_once(app))
            print(f"processed {handled} message(s)")
        else:
            asyncio.run(run_forever(app))
    finally:
        app.close()
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    cfg = _load(args.config)
    app = build_app(cfg)
    try:
        with app.uow() as uow:
            count, problem = audit.verify(uow.session)
    finally:
        app.close()
    if problem is None:
        print(f"audit log intact: {count} entries")
        return 0
    print(f"audit log BROKEN at entry {problem.seq}: {problem.reason} ({count} entries verified before it)")
    return 1


def cmd_report(args: argparse.Namespace) -> int:
    import datetime as dt

    from vanthu.cron.jobs import run_report
    from vanthu.cron.sinks import OUTBOX, DirectorySink, ReportSink
    from vanthu.worker.outbox_sender import deliver_due

    cfg = _load(args.config)
    prepare_database(cfg)
    app = build_app(cfg)
    try:
        day = dt.date.fromisoformat(args.date) if args.date else app.clock.now().astimezone(cfg.tz).date()
        try:
            sink: ReportSink = DirectorySink(Path(args.dry_run)) if args.dry_run else OUTBOX
            count = run_report(app, args.kind, args.unit, day, sink)
        except (ValueError, LookupError) as exc:
            print(f"vanthu report: {exc}", file=sys.stderr)
            return 2
        if not args.dry_run:
            asyncio.run(deliver_due(app, app.transport()))
        print(f"{count} mail(s) " + (f"written to {args.dry_run}" if args.dry_run else "sent"))
    finally:
        app.close()
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from vanthu.worker.stats_cli import run

    return run(args.config, args.unit, args.period, args.out)


def cmd_export_register(args: argparse.Namespace) -> int:
    from vanthu.worker.register_cli import run

    return run(args.config, args.unit, args.register, args.kind, args.period, args.out_dir)


def cmd_demo(args: argparse.Namespace) -> int:
    from vanthu.demo.run import run_demo

    return run_demo(Path(args.dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vanthu", description="The records office of a procuracy, by email.")
    parser.add_argument(
        "-c",
        "--config",
        default=os.environ.get("VANTHU_CONFIG", "vanthu.toml"),
        help="configuration file (TOML)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-config", help="validate the configuration").set_defaults(func=cmd_check_config)
    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations and sync the directory").set_defaults(func=cmd_db_upgrade)
    run = sub.add_parser("run", help="run the worker until SIGTERM")
    run.add_argument("--once", action="store_true", help="process what is waiting, deliver the outbox, exit")
    run.set_defaults(func=cmd_run)
    au = sub.add_parser("audit", help="audit log commands").add_subparsers(dest="audit_command", required=True)
    au.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit_verify)
    report = sub.add_parser("report", help="make one scheduled report by hand")
    report.add_argument("kind", help="digest | weekly | reminders | escalation")
    report.add_argument("--unit", required=True, help="unit code")
    report.add_argument("--date", default="", help="YYYY-MM-DD (default: today, local)")
    report.add_argument("--dry-run", default="", metavar="DIR", help="write the mails to DIR instead of sending")
    report.set_defaults(func=cmd_report)
    stats = sub.add_parser("stats", help="write the statistics of a period as XLSX")
    stats.add_argument("--unit", required=True, help="unit code; its units below are included")
    stats.add_argument("--period", required=True, help="11/2026, 2026 or 01/10/2026-31/10/2026")
    stats.add_argument("--out", required=True, help="the XLSX file to write")
    stats.set_defaults(func=cmd_stats)
    export = sub.add_parser("export", help="export a register").add_subparsers(dest="export_command", required=True)
    reg = export.add_parser("register", help="a register of a period as XLSX and printable PDF (Phụ lục IV)")
    reg.add_argument("--unit", required=True, help="unit code")
    reg.add_argument("--kind", required=True, help="incoming | outgoing | follow-up (or đến | đi | theo dõi)")
    reg.add_argument("--register", default="", help="register code; empty: the unit's only register of that kind")
    reg.add_argument("--period", required=True, help="11/2026, 2026 or 01/10/2026-31/10/2026")
    reg.add_argument("--out-dir", default=".", help="where to write the two files")
    reg.set_defaults(func=cmd_export_register)
    demo = sub.add_parser("demo", help="run the embedded demonstration")
    demo.add_argument("--dir", default="var/demo")
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # pyHanko logs a traceback for every ordinary verdict (untrusted, expired, modified …); vanthu records
    # each verdict itself, per signature, so only pyHanko's own failures are worth the log.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL if not args.verbose else logging.DEBUG)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
