"""Shared pytest fixtures for the vanthu test suite."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.harness import dbtemplate
from tests.harness.mailstack import MailStack, ensure_dovecot
from tests.harness.pg import create_database, pg_available
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


def _require_pg() -> None:
    reason = pg_available()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A SQLAlchemy URL to a fresh PostgreSQL database already at the migrations' head, dropped after the test.

    It is a ``CREATE DATABASE … TEMPLATE`` copy of a database migrated once per test process; the drop runs in
    the background (tests/harness/dbtemplate.py).
    """
    _require_pg()
    url = dbtemplate.clone_pg()
    try:
        yield url
    finally:
        dbtemplate.drop_later(url)


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    """A SQLAlchemy URL to a fresh, empty PostgreSQL database (no tables), dropped after the test."""
    _require_pg()
    url = create_database()
    try:
        yield url
    finally:
        dbtemplate.drop_later(url)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Wait for the background drops and drop this process's PostgreSQL template."""
    problems = dbtemplate.finish()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    for problem in problems:
        if reporter is not None:
            reporter.write_line(f"test database clean-up: {problem}", yellow=True)


# --- databases and deployments ---


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses this runs twice: on a fresh SQLite file and on a fresh PostgreSQL database, both
    already at the migrations' head (copies of a template migrated once per test process)."""
    if request.param == "sqlite":
        path = tmp_path / "vanthu.db"
        dbtemplate.clone_sqlite(path)
        yield f"sqlite:///{path}"
        return
    yield request.getfixturevalue("pg_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Like ``db_url``, but an empty database: for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vanthu.db'}"
        return
    yield request.getfixturevalue("empty_pg_url")


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


# --- property-based tests ---

# Modest example counts so that the properties run in seconds; no deadline (it would make a test depend
# on how busy the machine is). HYPOTHESIS_PROFILE=thorough runs many more examples.
settings.register_profile(
    "vanthu", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "vanthu"))


# --- scheduling, time limits, skips ---

#: Tests that kill and restart servers and workers on a timetable: run one at a time (``--dist loadgroup``
#: puts a group on one xdist worker), so that two of them never starve each other of the machine's cores.
HEAVY_MODULES = frozenset({"test_soak", "test_faults", "test_crash_safety"})
#: pytest-timeout's limit for a ``slow`` test without a ``timeout`` mark of its own (the default for every
#: other test is ``timeout`` in pyproject.toml).
SLOW_TIMEOUT = 900


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fail-on-skip",
        action="store_true",
        help="report a skipped test as a failure (make test: every test must run where PostgreSQL and Dovecot are)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
        if item.path.stem in HEAVY_MODULES and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("heavy"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and item.config.getoption("--fail-on-skip"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, but --fail-on-skip is set: {reason}"
    return report
