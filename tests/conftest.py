"""Shared pytest fixtures for the vanthu test suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.mailstack import MailStack, ensure_dovecot
from tests.harness.pg import create_database, drop_database, pg_available
from tests.support import make_intake_app, prepared_app, vn_time, write_config
from vanthu.demo.pki import TestPki, make_pki
from vanthu.models.clock import FixedClock
from vanthu.worker.app import App

# --- real servers ---


@pytest.fixture(scope="session")
def mailstack() -> Iterator[MailStack]:
    """A running Dovecot + SMTP stack on loopback, shared by the whole session.

    Any user name logs in with ``mailstack.password``; use local parts that are unique across domains and
    tests (see tests/harness/mailstack.py).
    """
    reason = ensure_dovecot()
    if reason is not None:
        pytest.skip(reason)
    with MailStack() as stack:
        yield stack


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL to a fresh, empty PostgreSQL database, dropped after the test."""
    reason = pg_available()
    if reason is not None:
        pytest.skip(reason)
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)


# --- databases and deployments ---


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses this runs twice: on a fresh SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vanthu.db'}"
        return
    yield request.getfixturevalue("pg_url")


@pytest.fixture
def clock() -> FixedClock:
    """Saturday 21 November 2026, 09:00 in Hà Nội."""
    return FixedClock(vn_time(2026, 11, 21, 9, 0))


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """A migrated deployment of the example units on ``db_url``, with a frozen clock."""
    application = prepared_app(write_config(tmp_path / "deploy", db_url), clock)
    try:
        yield application
    finally:
        application.close()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A test PKI made for this run: root → intermediate → signers, an untrusted root, a CRL."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def intake_app(db_url: str, tmp_path: Path, clock: FixedClock, pki: TestPki) -> Iterator[App]:
    """A deployment on ``db_url`` that trusts the test PKI, with a frozen clock."""
    application = make_intake_app(db_url, tmp_path, clock, pki)
    yield application
    application.close()
