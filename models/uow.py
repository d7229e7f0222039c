"""The unit of work: one database transaction, committed explicitly or rolled back.

A flow receives a unit of work and does everything — documents, audit entries, outgoing mail — in
its one session; nothing is visible to others until :meth:`UnitOfWork.commit`.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Context manager around one session; leaving the block without ``commit()`` rolls back."""

    session: Session

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing without commit rolls the transaction back; unlike rollback() it leaves what was
        # read loaded (detached), so read-only callers can still use the objects afterwards.
        self.session.close()

    def commit(self) -> None:
        """Commit the transaction; after this the unit of work may not be used for writes."""
        self.session.commit()
        self._committed = True

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def dialect(self) -> str:
        bind = self.session.get_bind()
        return bind.dialect.name
