"""The weekly report job: stored snapshots -> ReportData -> message -> SMTP, mailed once a week.

A delivery row per (week, recipient list) makes the job idempotent: a week that was sent is
never sent again; a failed send is marked and goes out on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select, update

from echochamber import measure
from echochamber.config import Settings
from echochamber.errors import ConfigError, ReportError
from echochamber.models import Window
from echochamber.pipeline import JobContext
from echochamber.store.ingest import dialect_insert
from echochamber.store.locks import job_lock
from echochamber.store.schema import DeliveryRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    week: str
    recipients: tuple[str, ...]
    status: str
    message_id: str | None = None
    error: str | None = None


def closed_week(now: datetime) -> Window:
    """The last complete ISO week before ``now``."""
    return Window.week_of(now).previous()


def report_data(engine: Engine, settings: Settings, window: Window, now: datetime) -> Any:
    """Build the report's data from stored snapshots (computing the week's if missing)."""
    from echochamber.report.data import ReportData

    policy = settings.core.policy
    if measure.load_snapshot(engine, window, "all", policy) is None:
        measure.compute(engine, settings, window, "all", now=now)
    for back in range(1, 12):
        w = window.previous(back)
        if measure.load_snapshot(engine, w, "all", policy) is None:
            measure.compute(engine, settings, w, "all", now=now)
    snap = measure.load_snapshot(engine, window, "all", policy)
    assert snap is not None
    rows = [
        r
        for r in measure.history(engine, "all", policy, 520)
        if r["start"] <= window.start.isoformat()
    ][-12:]
    details = snap["details"]
    by_scope: dict[str, Any] = {}
    for scope in ("mastodon", "twitter", "bluesky"):
        other = measure.load_snapshot(engine, window, scope, policy)
        if other is not None:
            by_scope[scope] = other["metrics"]
    return ReportData(
        tag_label=settings.title,
        week_label=window.label,
        history=[(r["week"], r["metrics"]) for r in rows],
        conversations=details.get("conversations", []),
        bridges=details.get("bridges", []),
        new_voices=details.get("new_voices", []),
        by_scope=by_scope if len(by_scope) > 1 else None,
    )


def build(
    engine: Engine, settings: Settings, window: Window, now: datetime, recipients: tuple[str, ...]
) -> EmailMessage:
    from echochamber.report.email import build_message

    data = report_data(engine, settings, window, now)
    return build_message(data, settings.report.email.sender, list(recipients))


def _delivery(engine: Engine, week: str, recipients: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            select(DeliveryRow.__table__).where(
                DeliveryRow.week == week, DeliveryRow.recipients == recipients
            )
        ).first()


def send_weekly_report(
    settings: Settings,
    ctx: JobContext,
    *,
    week: Window | None = None,
    to: tuple[str, ...] | None = None,
    force: bool = False,
) -> Delivery:
    """Mail the report of ``week`` (default: the last closed week) unless it was mailed."""
    from echochamber.report.smtp import send_message

    email = settings.report.email
    recipients = tuple(to or email.recipients)
    if not email.smtp_host or not recipients:
        raise ConfigError(
            "report.email.smtp_host and report.email.recipients must be set to send the report"
        )
    now = ctx.clock()
    window = week or closed_week(now)
    key = ", ".join(sorted(recipients))
    with job_lock(ctx.engine, "email", window.label) as got:
        if not got:
            return Delivery(window.label, recipients, "busy")
        row = _delivery(ctx.engine, window.label, key)
        if row is not None and row.status == "sent" and not force:
            return Delivery(window.label, recipients, "already-sent", row.message_id)
        table: Any = DeliveryRow.__table__
        with ctx.engine.begin() as conn:
            ins = dialect_insert(conn, table).values(
                week=window.label, recipients=key, status="pending", attempts=0, updated_at=now
            )
            conn.execute(ins.on_conflict_do_nothing())
        msg = build(ctx.engine, settings, window, now, recipients)
        try:
            send_message(
                msg,
                host=email.smtp_host,
                port=email.smtp_port,
                security=email.security,
                username=email.username or None,
                password=email.password,
                timeout=email.timeout,
            )
        except ReportError as exc:
            _mark(ctx.engine, window.label, key, "failed", None, str(exc), ctx.clock())
            raise
        _mark(ctx.engine, window.label, key, "sent", msg["Message-ID"], None, ctx.clock())
        log.info("weekly report %s mailed to %s", window.label, key)
        return Delivery(window.label, recipients, "sent", msg["Message-ID"])


def _mark(
    engine: Engine,
    week: str,
    key: str,
    status: str,
    message_id: str | None,
    error: str | None,
    now: datetime,
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(DeliveryRow)
            .where(DeliveryRow.week == week, DeliveryRow.recipients == key)
            .values(
                status=status,
                message_id=message_id,
                error=error,
                updated_at=now,
                attempts=DeliveryRow.attempts + 1,
                sent_at=now if status == "sent" else None,
            )
        )


def deliveries(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(DeliveryRow.__table__).order_by(DeliveryRow.updated_at.desc()).limit(limit)
            )
            .mappings()
            .all()
        )
    return [
        {
            "week": r["week"],
            "recipients": r["recipients"],
            "status": r["status"],
            "attempts": r["attempts"],
            "error": r["error"],
            "message_id": r["message_id"],
            "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None,
        }
        for r in rows
    ]


def utc_now() -> datetime:
    return datetime.now(UTC)
