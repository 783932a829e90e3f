"""The last outcome of each daemon job, and the scheduler's next run times (for ``status``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, text, update

from echochamber.store.engine import _has_table
from echochamber.store.keys import dialect_insert
from echochamber.store.schema import JobRunRow

JOBS_TABLE = "apscheduler_jobs"


def record_start(engine: Engine, job: str, now: datetime) -> None:
    with engine.begin() as conn:
        table: Any = JobRunRow.__table__
        ins = dialect_insert(conn, table).values(job=job, started_at=now, status="running")
        conn.execute(
            ins.on_conflict_do_update(
                index_elements=["job"], set_={"started_at": now, "status": "running"}
            )
        )


def record_end(
    engine: Engine, job: str, now: datetime, status: str, message: str | None, duration: float
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(JobRunRow.__table__)
            .where(JobRunRow.job == job)
            .values(
                finished_at=now,
                status=status,
                message=(message or "")[:4000] or None,
                duration=round(duration, 3),
            )
        )


def job_status(engine: Engine, now: datetime | None = None) -> list[dict[str, Any]]:
    """Each job's last result, next run and lag (seconds since its last success ended)."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        rows = {r.job: r for r in conn.execute(select(JobRunRow.__table__)).all()}
        nxt: dict[str, float | None] = {}
        if _has_table(conn, JOBS_TABLE):
            sql = text(f"SELECT id, next_run_time FROM {JOBS_TABLE}")
            nxt = {r[0]: r[1] for r in conn.execute(sql)}
    out = []
    for name in sorted(set(rows) | {n for n in nxt if not n.startswith("retry-")}):
        r = rows.get(name)
        when = nxt.get(name)
        out.append(
            {
                "job": name,
                "status": r.status if r else "never",
                "started_at": r.started_at.isoformat() if r and r.started_at else None,
                "finished_at": r.finished_at.isoformat() if r and r.finished_at else None,
                "duration": r.duration if r else None,
                "message": r.message if r else None,
                "next_run": datetime.fromtimestamp(when, UTC).isoformat() if when else None,
                "lag": (now - r.finished_at).total_seconds() if r and r.finished_at else None,
            }
        )
    return out


def scheduler_jobstore(engine: Engine) -> Any:
    """APScheduler's SQLAlchemy job store in the echochamber database (table created by init)."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
