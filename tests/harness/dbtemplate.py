"""Migrate once per test process, then clone: databases at the migrations' head in a fraction of a second.

Running the Alembic migrations costs seconds per database; most tests only need a database *at* head. This
module migrates one template per process (so one per pytest-xdist worker) the first time it is asked for, and
hands out copies:

* SQLite — the template is a file in a private temporary directory; a clone is a byte copy of it.
* PostgreSQL — the template is a database ``vanthu_t_tmpl_<pid>_<hex>``; a clone is ``CREATE DATABASE …
  TEMPLATE`` it. PostgreSQL refuses to copy a database that has other sessions, so nothing but this module
  ever connects to the template, and only while migrating it; a clone that still finds the migration's
  session on its way out retries for a bounded time.

Making and dropping a PostgreSQL database each cost the server a second or more on a busy machine, so a
keeper thread per process holds a couple of copies ready and drops used ones while the next tests run
(:func:`drop_later`); :func:`finish` stops it and drops what is left, the template last, with a bound.

``tests/test_migrations.py`` still runs the real migrations from an empty database on both backends.
"""

from __future__ import annotations

import atexit
import os
import queue
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from alembic.script import ScriptDirectory
from psycopg import errors as pg_errors
from psycopg import sql
from sqlalchemy import make_url, text

from tests.harness import pg
from vanthu.models.db import make_engine
from vanthu.models.migrate import alembic_config, upgrade

__all__ = [
    "at_head",
    "clone_pg",
    "clone_sqlite",
    "drop_later",
    "finish",
    "head_revision",
]

#: How long a clone waits for the template's last session to go away before giving up.
CLONE_RETRY_SECONDS = 30.0
#: How long :func:`finish` waits for the background drops before leaving the rest to the server.
DRAIN_SECONDS = 120.0

_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_template: str | None = None
_head: str | None = None
#: How many PostgreSQL copies the keeper thread holds ready.
POOL_SIZE = 2
_ready: queue.Queue[str] = queue.Queue()
_drops: queue.Queue[str] = queue.Queue()
_wake = threading.Event()
_stopping = threading.Event()
_keeper: threading.Thread | None = None
_keeper_failed: list[str] = []
_drop_errors: list[str] = []


def head_revision() -> str:
    """The migrations' head revision (read from the scripts once per process)."""
    global _head
    if _head is None:
        _head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
        assert _head is not None, "the migrations have no head"
    return _head


def at_head(url: str) -> bool:
    """Whether the database at ``url`` exists and is stamped with the head revision (no migration needed)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or not Path(database).is_file():
            return False
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            try:
                rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
            except sqlite3.OperationalError:
                return False
        return rows == [(head_revision(),)]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar() is None:
                return False
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    return list(versions) == [head_revision()]


# --- SQLite ---


def _sqlite_template_path() -> Path:
    global _sqlite_template
    with _lock:
        if _sqlite_template is None:
            directory = Path(tempfile.mkdtemp(prefix="vanthu-sqlite-template-"))
            atexit.register(shutil.rmtree, directory, True)
            path = directory / "template.db"
            upgrade(f"sqlite:///{path}")
            with sqlite3.connect(path) as conn:  # everything in the main file, nothing left in a -wal beside it
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _sqlite_template = path
        return _sqlite_template


def clone_sqlite(database: Path) -> None:
    """Make ``database`` (which must not exist) a copy of the migrated SQLite template."""
    if database.exists():
        raise FileExistsError(f"{database} exists: a clone never overwrites a database")
    template = _sqlite_template_path()
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, database)


# --- PostgreSQL ---


def _pg_template_name() -> str:
    global _pg_template
    with _lock:
        if _pg_template is None:
            name = f"{pg.DB_PREFIX}tmpl_{os.getpid()}_{secrets.token_hex(4)}"
            url = pg.create_database(name=name)
            try:
                upgrade(url)  # disposes its engine: no session is left on the template
            except BaseException:
                pg.drop_database(url)
                raise
            _pg_template = name
        return _pg_template


def _clone_now() -> str:
    """Copy the template into a new database ``vanthu_t_<hex>`` (synchronously); its SQLAlchemy URL."""
    template = _pg_template_name()
    name = pg.DB_PREFIX + secrets.token_hex(8)
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
    deadline = time.monotonic() + CLONE_RETRY_SECONDS
    while True:
        try:
            with pg.admin_connect() as conn:
                conn.execute(statement)
            return pg.sqlalchemy_url(name)
        except pg_errors.ObjectInUse as exc:  # the migration's session is still on its way out
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"template {template} still had other sessions after {CLONE_RETRY_SECONDS} s: {exc}"
                ) from exc
            time.sleep(0.1)  # retry with a deadline


def clone_pg() -> str:
    """A new database ``vanthu_t_<hex>`` copied from the migrated template; its SQLAlchemy URL.

    Copying takes the server about a second (it writes the copy to its WAL), so a background thread keeps
    ``POOL_SIZE`` copies made in advance while tests run; when none is ready the copy is made here.
    """
    _ensure_keeper()
    try:
        url = _ready.get_nowait()
    except queue.Empty:
        url = _clone_now()
    _wake.set()  # make the next one
    return url


# --- the keeper thread: copies made in advance, drops done late ---


def _keeper_loop() -> None:
    while not _stopping.is_set():
        _wake.clear()
        try:
            if _ready.qsize() < POOL_SIZE and not _keeper_failed:
                _ready.put(_clone_now())
                continue
            url = _drops.get_nowait()
        except queue.Empty:
            _wake.wait(1.0)  # idle until there is work, re-checking every second
            continue
        except (psycopg.Error, OSError, TimeoutError) as exc:
            _keeper_failed.append(f"making a database in advance: {exc}")  # clone_pg() then copies itself
            continue
        try:
            pg.drop_database(url)
        except (psycopg.Error, OSError) as exc:
            _drop_errors.append(f"{url}: {exc}")


def _ensure_keeper() -> None:
    global _keeper
    with _lock:
        if _keeper is None or not _keeper.is_alive():
            _stopping.clear()
            _keeper = threading.Thread(target=_keeper_loop, name="vanthu-test-databases", daemon=True)
            _keeper.start()


def drop_later(url: str) -> None:
    """Drop a database made by this harness in the background (see :func:`finish`)."""
    pg.check_harness_name(url)
    _ensure_keeper()
    _drops.put(url)
    _wake.set()


def finish() -> list[str]:
    """Stop the keeper, drop what is left (ready copies, pending drops, the template), bounded; return problems."""
    global _pg_template, _keeper
    problems: list[str] = []
    keeper = _keeper
    if keeper is not None:
        _stopping.set()
        _wake.set()
        keeper.join(CLONE_RETRY_SECONDS)
        if keeper.is_alive():
            problems.append(f"the database keeper thread did not stop within {CLONE_RETRY_SECONDS} s")
        _keeper = None
    leftovers: list[str] = []
    for q in (_ready, _drops):
        while True:
            try:
                leftovers.append(q.get_nowait())
            except queue.Empty:
                break
    if _pg_template is not None:
        leftovers.append(pg.sqlalchemy_url(_pg_template))
        _pg_template = None
    deadline = time.monotonic() + DRAIN_SECONDS
    for url in leftovers:
        if time.monotonic() >= deadline:
            problems.append(f"not dropped within {DRAIN_SECONDS} s: {url}")
            continue
        try:
            pg.drop_database(url)
        except (psycopg.Error, OSError) as exc:
            problems.append(f"{url}: {exc}")
    problems.extend(_keeper_failed)
    problems.extend(_drop_errors)
    _keeper_failed.clear()
    _drop_errors.clear()
    return problems
