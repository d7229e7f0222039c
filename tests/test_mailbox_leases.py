"""Mailbox leases: one holder at a time, taken over after expiry (or at once from a dead local process)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time

from vanthu.models import mailbox_leases as leases
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App
from vanthu.worker.lease_keeper import LeaseKeeper, LeaseTiming, dead_local_holder, holder_id, utc_now

TTL = dt.timedelta(seconds=12)
FAST = LeaseTiming(ttl=1.0, renew_every=0.2, poll_every=0.05)


def _acquire(app: App, holder: str, mailbox: str = "vksqn") -> bool:
    with app.uow() as uow:
        got = leases.acquire(uow.session, mailbox, holder, now=app.clock.now(), ttl=TTL)
        uow.commit()
    return got


def _current(app: App, mailbox: str = "vksqn") -> leases.LeaseState | None:
    with app.uow() as uow:
        return leases.current(uow.session, mailbox)


def test_one_holder_at_a_time_and_take_over_after_expiry(app: App, clock: FixedClock) -> None:
    assert _acquire(app, "host-a:1:x")
    assert not _acquire(app, "host-b:2:y")  # A's lease runs
    assert _acquire(app, "host-a:1:x")  # A renews by acquiring again
    assert _acquire(app, "host-a:1:x", mailbox="other")  # leases are per mailbox
    clock.advance(TTL - dt.timedelta(seconds=1))
    assert not _acquire(app, "host-b:2:y")
    clock.advance(dt.timedelta(seconds=2))  # A stopped renewing: its lease ran out
    assert _acquire(app, "host-b:2:y")
    state = _current(app)
    assert state is not None and state.holder == "host-b:2:y" and state.acquired_at == clock.now()
    with app.uow() as uow:
        assert not leases.renew(uow.session, "vksqn", "host-a:1:x", now=clock.now(), ttl=TTL)  # A has lost it
        assert leases.renew(uow.session, "vksqn", "host-b:2:y", now=clock.now(), ttl=TTL)
        uow.commit()


def test_release_lets_another_worker_take_it_at_once(app: App, clock: FixedClock) -> None:
    assert _acquire(app, "a:1:x")
    with app.uow() as uow:
        assert leases.release(uow.session, "vksqn", "a:1:x", now=clock.now())
        assert not leases.release(uow.session, "vksqn", "b:2:y", now=clock.now())  # not b's to release
        uow.commit()
    assert _acquire(app, "b:2:y")


def test_an_expired_lease_nobody_took_is_still_renewable_by_its_holder(app: App, clock: FixedClock) -> None:
    assert _acquire(app, "a:1:x")
    clock.advance(TTL * 2)
    with app.uow() as uow:
        assert leases.renew(uow.session, "vksqn", "a:1:x", now=clock.now(), ttl=TTL)
        uow.commit()


def test_take_over_from_a_named_holder_only_if_it_still_holds(app: App, clock: FixedClock) -> None:
    assert _acquire(app, "a:1:x")
    with app.uow() as uow:
        assert not leases.take_over(uow.session, "vksqn", "c:3:z", now=clock.now(), ttl=TTL, from_holder="b:2:y")
        assert leases.take_over(uow.session, "vksqn", "c:3:z", now=clock.now(), ttl=TTL, from_holder="a:1:x")
        uow.commit()
    state = _current(app)
    assert state is not None and state.holder == "c:3:z"


def test_dead_local_holder() -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(proc.stdout)
    me = holder_id()
    host = me.split(":", 1)[0]
    assert dead_local_holder(f"{host}:{dead_pid}:abcd")
    assert not dead_local_holder(me)  # this process
    assert not dead_local_holder(f"{host}:1:abcd")  # init: alive
    assert not dead_local_holder(f"some-other-host:{dead_pid}:abcd")  # cannot know: wait for expiry
    assert not dead_local_holder("garbage")


def test_keeper_renews_releases_and_notices_a_lost_lease(app: App, clock: FixedClock) -> None:
    stop = threading.Event()
    keeper = LeaseKeeper(app, "vksqn", "a:1:x", FAST)
    assert keeper.acquire(stop, stop) and keeper.held()
    other = LeaseKeeper(app, "vksqn", "b:2:y", FAST)
    stopper = threading.Timer(0.3, stop.set)
    stopper.start()
    assert not other.acquire(stop, stop)  # waited while a held it, until told to stop
    stopper.join()
    time.sleep(0.5)  # several renewal periods: still held
    assert keeper.held()
    with app.uow() as uow:  # someone takes the lease away behind the keeper's back
        leases.take_over(uow.session, "vksqn", "b:2:y", now=clock.now(), ttl=TTL, from_holder="a:1:x")
        uow.commit()
    deadline = time.monotonic() + 5
    while keeper.held() and time.monotonic() < deadline:
        time.sleep(0.05)  # readiness polling with a deadline
    assert not keeper.held(), "the keeper did not notice that its lease was taken"
    keeper.release()
    state = _current(app)
    assert state is not None and state.holder == "b:2:y"  # releasing a lost lease leaves the new holder alone


def test_keeper_takes_over_at_once_from_a_dead_process_of_this_host(app: App) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = holder_id().split(":", 1)[0]
    with app.uow() as uow:  # a lease that runs for a while yet, in real time (what the keeper measures in)
        leases.acquire(uow.session, "vksqn", f"{host}:{int(proc.stdout)}:dead", now=utc_now(), ttl=TTL)
        uow.commit()
    keeper = LeaseKeeper(app, "vksqn", holder_id(), FAST)
    stop = threading.Event()
    try:
        assert keeper.acquire(stop, stop)
    finally:
        keeper.release()
    state = _current(app)
    assert state is not None and state.holder == keeper.holder
