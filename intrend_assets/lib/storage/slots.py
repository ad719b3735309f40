"""Pool slots that two runs cannot both claim."""

from __future__ import annotations

import sqlalchemy as db
from dagster._core.storage.event_log.schema import ConcurrencySlotsTable
from dagster._utils.concurrency import ConcurrencySlotStatus

# How often one claim looks for another free slot after losing the one it picked to a
# concurrent claim; each loss means another step got a slot, so the free ones run out fast.
CLAIM_ATTEMPTS = 8


class AtomicSlotClaims:
    """Dagster's slot claim, with the slot row taken only while it is still free.

    Dagster (1.13.27) claims a slot in two statements: it picks a free slot row
    (``SELECT ... FOR UPDATE SKIP LOCKED``), then writes its run and step into that row by
    id alone. On PostgreSQL each statement commits on its own (``index_connection`` is
    autocommit), so the lock ends before the write: two runs that claim together pick the
    same row, the second write overwrites the first, and both steps run. A one-slot pool
    such as ``instagram`` then let two fetch runs use the modem at once
    (tests/infra/test_celery.py caught it; tests/infra/test_postgres_storage.py claims from
    two threads, and half of its rounds gave the slot to both, with dagster-postgres' own
    storage as with ours). Here the write also requires the row to be still free, so the
    loser changes nothing and picks again, or is told it is blocked and waits in the pool's
    queue, as Dagster's claim intends.

    On SQLite the same two statements run under the process's connection lock, and two
    processes claiming at once never doubled in 40 rounds; the guard is there as well since
    the write it adds a condition to is the same.
    """

    def _claim_concurrency_slot(
        self, concurrency_key: str, run_id: str, step_key: str
    ) -> ConcurrencySlotStatus:
        slots = ConcurrencySlotsTable
        free = db.and_(
            slots.c.concurrency_key == concurrency_key,
            slots.c.step_key.is_(None),
            slots.c.deleted == db.false(),
        )
        with self.index_connection() as conn:  # type: ignore[attr-defined]
            for _ in range(CLAIM_ATTEMPTS):
                picked = conn.execute(
                    db.select(slots.c.id).where(free).with_for_update(skip_locked=True).limit(1)
                ).fetchone()
                if picked is None:
                    return ConcurrencySlotStatus.BLOCKED
                taken = conn.execute(
                    slots.update()
                    .values(run_id=run_id, step_key=step_key)
                    .where(db.and_(slots.c.id == picked[0], free))
                ).rowcount
                if taken:
                    return ConcurrencySlotStatus.CLAIMED
        return ConcurrencySlotStatus.BLOCKED
