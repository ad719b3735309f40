"""The IP log: every public IP the modem has had, in a SQL database through SQLAlchemy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool


class Base(DeclarativeBase):
    pass


class IpObservation(Base):
    """One sighting of a public IP: after a rotation, a check, or at start."""

    __tablename__ = "ip_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ip: Mapped[str] = mapped_column(String(45), index=True)
    source: Mapped[str] = mapped_column(String(16))
    # The database's clock, not each client's: one time base for every writer.
    seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


def make_engine(url: str) -> Engine:
    """An engine for the IP log; in-memory SQLite shares one connection so it persists."""
    if url.startswith("sqlite") and ":memory:" in url:
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False})
    return create_engine(url, pool_pre_ping=True)


class IpLog:
    """Append and read IP sightings. Sessions are opened per call, never shared."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        Base.metadata.create_all(engine)

    def record(self, ip: str, source: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.add(IpObservation(ip=ip, source=source))

    def latest(
        self, limit: int = 100, offset: int = 0, since: datetime | None = None
    ) -> list[dict[str, object]]:
        query = select(IpObservation).order_by(IpObservation.id.desc())
        if since is not None:
            query = query.where(IpObservation.seen_at >= since)
        with Session(self.engine) as session:
            rows = session.scalars(query.limit(limit).offset(offset)).all()
            return [
                {"ip": r.ip, "source": r.source, "seen_at": r.seen_at.isoformat()} for r in rows
            ]

    def all_ips(self) -> list[tuple[str, datetime, str]]:
        with Session(self.engine) as session:
            rows = session.execute(
                select(IpObservation.ip, IpObservation.seen_at, IpObservation.source).order_by(
                    IpObservation.id
                )
            ).all()
            return [(r[0], r[1], r[2]) for r in rows]
