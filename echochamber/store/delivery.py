"""Deliveries of the weekly report: one row per (week, recipient list), so a week is mailed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from echochamber.store.keys import dialect_insert
from echochamber.store.schema import DeliveryRow


@dataclass(frozen=True)
class DeliveryRecord:
    """A stored delivery: its state, attempts, and the error of the last failure."""

    week: str
    recipients: str
    status: str
    attempts: int
    message_id: str | None
    error: str | None
    sent_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "recipients": self.recipients,
            "status": self.status,
            "attempts": self.attempts,
            "error": self.error,
            "message_id": self.message_id,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


def _record(r: Any) -> DeliveryRecord:
    return DeliveryRecord(
        r.week, r.recipients, r.status, r.attempts, r.message_id, r.error, r.sent_at
    )


def get_delivery(engine: Engine, week: str, recipients: str) -> DeliveryRecord | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(DeliveryRow.__table__).where(
                DeliveryRow.week == week, DeliveryRow.recipients == recipients
            )
        ).first()
    return None if row is None else _record(row)


def begin_delivery(engine: Engine, week: str, recipients: str, now: datetime) -> None:
    """Record a pending delivery unless one exists."""
    table: Any = DeliveryRow.__table__
    with engine.begin() as conn:
        ins = dialect_insert(conn, table).values(
            week=week, recipients=recipients, status="pending", attempts=0, updated_at=now
        )
        conn.execute(ins.on_conflict_do_nothing())


def mark_delivery(
    engine: Engine,
    week: str,
    recipients: str,
    status: str,
    message_id: str | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record an attempt's outcome (``sent`` or ``failed``)."""
    with engine.begin() as conn:
        conn.execute(
            update(DeliveryRow.__table__)
            .where(DeliveryRow.week == week, DeliveryRow.recipients == recipients)
            .values(
                status=status,
                message_id=message_id,
                error=error,
                updated_at=now,
                attempts=DeliveryRow.attempts + 1,
                sent_at=now if status == "sent" else None,
            )
        )


def deliveries(engine: Engine, limit: int = 20) -> list[DeliveryRecord]:
    """The newest deliveries first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(DeliveryRow.__table__).order_by(DeliveryRow.updated_at.desc()).limit(limit)
        ).all()
    return [_record(r) for r in rows]
