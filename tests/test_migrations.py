"""The Alembic migrations build exactly the schema the ORM describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.harness.dbtemplate import at_head
from vanthu.models.db import make_engine
from vanthu.models.migrate import upgrade
from vanthu.models.tables import Base


def test_migrations_match_the_models(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)  # running it again changes nothing
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # Server defaults used to add NOT NULL columns to existing rows are not part of the ORM's view.
    assert [d for d in diff if d[0] != "modify_default"] == []


def test_workers_starting_together_migrate_a_fresh_database_once(empty_db_url: str) -> None:
    """Four workers starting at the same moment on an empty database all come up; the schema is built once."""
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait(30)
            upgrade(empty_db_url)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a migration hung"
    assert errors == []
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert len(versions) == 1


def test_cloned_databases_are_the_migrated_schema(db_url: str) -> None:
    """``db_url`` hands out copies of a template migrated once per run: at head, and the same schema."""
    assert at_head(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            heads = conn.execute(text("SELECT count(*) FROM audit_head")).scalar_one()
    finally:
        engine.dispose()
    assert [d for d in diff if d[0] != "modify_default"] == []
    assert heads == 1
