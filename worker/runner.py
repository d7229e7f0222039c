"""``vanthu run``: the mailbox watchers, the outbox sender and the scheduler, until SIGTERM.

Watchers are threads (imapclient blocks); the outbox sender and APScheduler run on the asyncio
loop. On SIGTERM or SIGINT every watcher finishes the message in hand, the outbox gets one last
pass, and the process exits 0 — also when that last pass fails (the database or the SMTP server is
down: the mail stays queued, and the failure is logged). ``--once`` processes what is waiting, delivers
the outbox and exits.

No loop dies of a fault: watchers and the outbox sender retry with backoff (see ``worker.resilience``),
and every scheduled job is wrapped so that its failures are logged once per outage, not once per run.
A worker started while the database is down waits for it. At start-up, temp files left in the data
directory by a process killed while writing are removed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from vanthu.cron.housekeeping import backlog
from vanthu.cron.jobs import ReportSchedule
from vanthu.cron.jobs import schedule as schedule_reports
from vanthu.cron.sinks import OUTBOX
from vanthu.worker.app import App
from vanthu.worker.config import Config
from vanthu.worker.lease_keeper import holder_id
from vanthu.worker.outbox_sender import deliver_due, run_sender
from vanthu.worker.resilience import Backoff, Fault, OutageLog, classify
from vanthu.worker.transports import TransportError
from vanthu.worker.watcher import drain_once, watch

log = logging.getLogger(__name__)


def report_schedule(config: Config) -> ReportSchedule:
    """The ``[reports]`` section as the schedule the report jobs take."""
    r = config.reports
    return ReportSchedule(
        enabled=r.enabled,
        digest_time=dt.time.fromisoformat(r.digest_time),
        weekly_time=dt.time.fromisoformat(r.weekly_time),
        work_start=dt.time.fromisoformat(r.work_start),
        work_end=dt.time.fromisoformat(r.work_end),
        reminder_minutes=r.reminder_minutes,
        escalation_minutes=r.escalation_minutes,
        catch_up=r.catch_up,
    )


def _wake(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    """Set ``event`` from any thread (a watcher thread that has just queued mail)."""
    loop.call_soon_threadsafe(event.set)


def guarded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` as a scheduled job that never raises: failures are logged once per outage, and recovery once."""
    outage = OutageLog(log, f"scheduled job {name}", retry="trying again at its next run")

    @functools.wraps(func)
    def job(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a job's failure must not be a traceback at every run
            outage.failed(exc)
            return None
        outage.recovered()
        return result

    return job


def retry_while_database_down(action: Callable[[], None], activity: str) -> bool:
    """Run ``action`` until it does not fail for want of the database; False if SIGTERM/SIGINT came first.

    For the start of ``vanthu run``: a worker started while the database is down waits for it (logged once,
    capped backoff) instead of exiting. Any other error is raised at once.
    """
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda _sig, _frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    outage = OutageLog(log, activity)
    backoff = Backoff()
    try:
        while True:
            try:
                action()
            except Exception as exc:
                if classify(exc) is not Fault.DATABASE:
                    raise
                outage.failed(exc)
                if stop.wait(backoff.next_delay()):
                    return False
            else:
                outage.recovered()
                return True
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def remove_stale_temp_files(app: App) -> None:
    """Remove ``.tmp-*`` files that a killed process left in the raw and file stores (logged when any)."""
    for store in (app.rawstore, app.files):
        try:
            removed = store.remove_stale_temp_files()
        except OSError as exc:
            log.warning("could not clean temp files under %s: %s", store.root, exc)
            continue
        if removed:
            log.info("removed %d stale temp file(s) under %s", removed, store.root)


async def run_once(app: App) -> int:
    """Process every mailbox once, deliver the outbox, return the number of messages handled."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    app.wake_outbox = lambda: _wake(loop, wake)
    remove_stale_temp_files(app)
    handled = 0
    for mb in app.config.mailboxes:
        handled += await asyncio.to_thread(drain_once, app, mb)
    try:
        await deliver_due(app, app.transport())
    except TransportError as exc:
        log.warning("outbox not delivered, the mail stays queued for the next run: %s", exc)
    return handled


async def run_forever(app: App) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    stop_threads = threading.Event()
    wake = asyncio.Event()
    app.wake_outbox = lambda: _wake(loop, wake)

    def request_stop() -> None:
        log.info("stop requested: finishing the message in hand")
        stop_threads.set()
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    scheduler = AsyncIOScheduler(timezone=app.config.tz)
    scheduler.add_job(backlog, "interval", minutes=15, args=[app.uow], id="housekeeping", coalesce=True)
    if app.config.reports.enabled:
        schedule_reports(scheduler, app, report_schedule(app.config), sink=OUTBOX)
    for job in scheduler.get_jobs():
        job.modify(func=guarded(job.id, job.func))
    scheduler.start()
    cleanup = asyncio.create_task(asyncio.to_thread(remove_stale_temp_files, app))
    transport = app.transport()
    holder = holder_id()
    watchers = [
        asyncio.create_task(asyncio.to_thread(watch, app, mb, stop_threads, holder)) for mb in app.config.mailboxes
    ]
    unrecorded: list[int] = []
    sender = asyncio.create_task(run_sender(app, transport, stop, wake, unrecorded))
    log.info("vanthu running: %d mailbox(es), as %s", len(watchers), holder)
    await stop.wait()
    scheduler.shutdown(wait=False)
    await asyncio.gather(cleanup, *watchers, sender, return_exceptions=True)
    try:
        await deliver_due(app, transport, unrecorded=unrecorded)
    except Exception as exc:  # noqa: BLE001 - stopping must not fail because a server is down
        log.warning("final outbox pass failed, the mail stays queued for the next start: %s", exc)
    log.info("vanthu stopped")
