"""Running the Alembic migrations from code (``vanthu db upgrade``, ``vanthu run`` and the tests).

Several workers may start at once on a fresh database: the migration is serialised so that exactly one of
them applies each revision and the others find the schema up to date — on PostgreSQL by a session-level
advisory lock, on SQLite by an exclusive lock on a file beside the database.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, make_url, text

from models.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
#: The advisory lock key vanthu's migrations hold on PostgreSQL (any constant unique to vanthu).
ADVISORY_LOCK_KEY = 0x76616E746875  # "vanthu"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision``; safe to run again, and from several processes at once."""
    if make_url(url).get_backend_name() == "postgresql":
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
                try:
                    _upgrade_on(conn, url, revision)
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                    conn.commit()
        finally:
            engine.dispose()
        return
    with _sqlite_file_lock(url):
        command.upgrade(alembic_config(url), revision)


def _upgrade_on(conn: Connection, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)
    conn.commit()


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """An exclusive lock on ``<database>.migrate-lock`` while migrating (nothing for an in-memory database)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database + ".migrate-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
