"""The unit of work: one transaction per service call, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Services do `with uow: ...; uow.commit()`; leaving without commit undoes everything.

    Rollback by default is what makes "a bad input changes nothing" hold: a
    service that raises half way never leaves a partial write, audit row included.
    """

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed; unlike rollback() it leaves
        # the objects already loaded readable, so services can return them.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        self.session.commit()
