"""``vanthu run``: the mailbox watchers, the outbox sender and the scheduler, until SIGTERM.

Watchers are threads (imapclient blocks); the outbox sender and APScheduler run on the asyncio
loop. On SIGTERM or SIGINT every watcher finishes the message in hand, the outbox gets one last
pass, and the process exits 0. ``--once`` processes what is waiting, delivers the outbox and exits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import threading

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from vanthu.cron.housekeeping import backlog
from vanthu.cron.jobs import ReportSchedule
from vanthu.cron.jobs import schedule as schedule_reports
from vanthu.worker.app import App
from vanthu.worker.config import Config
from vanthu.worker.outbox_sender import deliver_due, run_sender
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


async def run_once(app: App) -> int:
    """Process every mailbox once, deliver the outbox, return the number of messages handled."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    app.wake_outbox = lambda: _wake(loop, wake)
    handled = 0
    for mb in app.config.mailboxes:
        handled += await asyncio.to_thread(drain_once, app, mb)
    await deliver_due(app, app.transport())
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
        schedule_reports(scheduler, app, report_schedule(app.config))
    scheduler.start()
    transport = app.transport()
    watchers = [asyncio.create_task(asyncio.to_thread(watch, app, mb, stop_threads)) for mb in app.config.mailboxes]
    sender = asyncio.create_task(run_sender(app, transport, stop, wake))
    log.info("vanthu running: %d mailbox(es)", len(watchers))
    await stop.wait()
    scheduler.shutdown(wait=False)
    await asyncio.gather(*watchers, return_exceptions=True)
    await sender
    await deliver_due(app, transport)
    log.info("vanthu stopped")
