"""The Alembic migrations build exactly the schema the ORM describes, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.db import make_engine
from models.migrate import upgrade
from models.tables import Base


def test_migrations_match_the_models(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)  # running it again changes nothing
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    # Server defaults used to add NOT NULL columns to existing rows are not part of the ORM's view.
    assert [d for d in diff if d[0] != "modify_default"] == []
