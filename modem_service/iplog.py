"""The IP log: every public IP the modem has had, in a SQL database through SQLAlchemy.

SQLite (a file on the modem box, or in memory for tests and the sandbox) or PostgreSQL by
URL. Timestamps come from the database server, one clock for every writer; they are stored
as UTC and handed out timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.expression import FunctionElement

from modem_service.ranges import Sighting, classify


class utcnow(FunctionElement[datetime]):
    """The database server's current UTC time, with sub-second precision where possible."""

    type = DateTime(timezone=True)
    inherit_cache = True


@compiles(utcnow)
def _utcnow_default(element: Any, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utcnow, "sqlite")
def _utcnow_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # CURRENT_TIMESTAMP has whole seconds only; rotations can be closer than that.
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now'))"


class Base(DeclarativeBase):
    pass


class IpObservation(Base):
    """One sighting of a public IP: after a rotation, a check, or at start."""

    __tablename__ = "ip_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    source: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=utcnow(), index=True
    )


def make_engine(url: str) -> Engine:
    """An engine for the IP log; in-memory SQLite shares one connection so it persists."""
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith(":")):
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False})
    return create_engine(url, pool_pre_ping=True)


def as_utc(moment: datetime) -> datetime:
    """Timezone-aware UTC. SQLite hands back naive datetimes that are already UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class IpLog:
    """Append and read IP sightings. Sessions are opened per call, never shared."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._naive = engine.dialect.name == "sqlite"
        Base.metadata.create_all(engine)

    def _bound(self, moment: datetime) -> datetime:
        """A filter bound the dialect compares correctly with stored values."""
        utc = as_utc(moment)
        return utc.replace(tzinfo=None) if self._naive else utc

    def record(self, ip: str, source: str, seen_at: datetime | None = None) -> None:
        """Append a sighting; ``seen_at`` (else the database's clock) for one written late."""
        row = IpObservation(ip=ip, source=source)
        if seen_at is not None:
            row.seen_at = self._bound(seen_at)
        with Session(self.engine) as session, session.begin():
            session.add(row)

    def latest(
        self,
        limit: int = 100,
        offset: int = 0,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[dict[str, object]], int]:
        """One page of sightings, newest first, and the total matching the filter.

        Each item says how it relates to the log before it (``seen_as``, see
        :func:`modem_service.ranges.classify`), so a reader of one page can tell a return
        from an IP kept through a rotation without fetching the rest.
        """
        query = select(IpObservation)
        count = select(func.count()).select_from(IpObservation)
        if since is not None:
            query = query.where(IpObservation.seen_at >= self._bound(since))
            count = count.where(IpObservation.seen_at >= self._bound(since))
        if until is not None:
            query = query.where(IpObservation.seen_at < self._bound(until))
            count = count.where(IpObservation.seen_at < self._bound(until))
        query = query.order_by(IpObservation.id.desc()).limit(limit).offset(offset)
        with Session(self.engine) as session:
            rows = session.scalars(query).all()
            total = session.scalar(count) or 0
            seen_as = self._seen_as(session, rows[0].id) if rows else {}
            items = [
                {
                    "ip": r.ip,
                    "source": r.source,
                    "seen_at": as_utc(r.seen_at).isoformat(),
                    "seen_as": seen_as[r.id],
                }
                for r in rows
            ]
            return items, total

    @staticmethod
    def _seen_as(session: Session, up_to_id: int) -> dict[int, str]:
        history = session.execute(
            select(IpObservation.id, IpObservation.ip, IpObservation.source, IpObservation.seen_at)
            .where(IpObservation.id <= up_to_id)
            .order_by(IpObservation.id)
        ).all()
        sightings = [Sighting(ip=r[1], seen_at=r[3], source=r[2]) for r in history]
        return {r[0]: label for r, label in zip(history, classify(sightings), strict=True)}

    def last_ip(self) -> str | None:
        with Session(self.engine) as session:
            return session.scalar(
                select(IpObservation.ip).order_by(IpObservation.id.desc()).limit(1)
            )

    def sightings(self, since: datetime | None = None) -> list[Sighting]:
        """Every sighting (oldest first), for the CIDR aggregation."""
        query = select(IpObservation.ip, IpObservation.seen_at, IpObservation.source)
        if since is not None:
            query = query.where(IpObservation.seen_at >= self._bound(since))
        with Session(self.engine) as session:
            rows = session.execute(query.order_by(IpObservation.id)).all()
            return [Sighting(ip=r[0], seen_at=as_utc(r[1]), source=r[2]) for r in rows]
