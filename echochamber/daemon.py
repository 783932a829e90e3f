"""``echochamber run``: the scheduler, a thin shell over :mod:`echochamber.pipeline`.

APScheduler 3.x ``BlockingScheduler`` with its SQLAlchemy job store in the echochamber database.
Jobs coalesce, never overlap (``max_instances=1``), have a misfire grace time, and run
single-flight across daemons through the store's locks.  A failing job is logged with its error
and retried with backoff (a one-off ``retry-<job>``); it never stops the scheduler.  SIGTERM and
SIGINT let the job in hand finish its page, then the daemon exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from echochamber.config import Settings, parse_duration
from echochamber.config.settings import parse_clock, parse_timezone, parse_weekday
from echochamber.errors import EchoChamberError
from echochamber.pipeline.collection import collect, revisit
from echochamber.pipeline.consent import prune
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.report import send_weekly_report
from echochamber.pipeline.site import site_job
from echochamber.pipeline.snapshot import snapshot_recent
from echochamber.store import (
    Engine,
    database_error,
    is_database_error,
    record_end,
    record_start,
    scheduler_jobstore,
)

log = logging.getLogger(__name__)


class Daemon:
    """Owns the settings, the engine, the stop flag and the scheduler."""

    _current: Daemon | None = None

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.stopping = threading.Event()
        self.failures: dict[str, int] = {}
        self.scheduler = BlockingScheduler(
            jobstores={"default": scheduler_jobstore(engine)},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(
                    parse_duration(settings.schedule.misfire_grace, "schedule.misfire_grace")
                ),
            },
            timezone=parse_timezone(settings.schedule.timezone, "schedule.timezone"),
        )
        self.jobs: dict[str, Callable[[JobContext], Any]] = {
            "collect": lambda ctx: collect(self.settings, ctx, revisit=False),
            "enrich": lambda ctx: revisit(self.settings, ctx),
            "snapshot": lambda ctx: snapshot_recent(self.settings, ctx),
            "email": lambda ctx: send_weekly_report(self.settings, ctx),
            "site": lambda ctx: site_job(self.settings, ctx),  # after each snapshot job
            "prune": lambda ctx: prune(self.settings, ctx),
        }

    # ---------------------------------------------------------------- scheduling
    def schedule(self) -> None:
        s = self.settings.schedule
        tz = parse_timezone(s.timezone, "schedule.timezone")
        h, m = parse_clock(s.snapshot_at, "schedule.snapshot_at")
        eh, em = parse_clock(s.email_at, "schedule.email_at")
        day = parse_weekday(s.email_day, "schedule.email_day")
        triggers = {
            "collect": IntervalTrigger(seconds=parse_duration(s.collect_every), timezone=tz),
            "enrich": IntervalTrigger(seconds=parse_duration(s.enrich_every), timezone=tz),
            "snapshot": CronTrigger(hour=h, minute=m, timezone=tz),
            "email": CronTrigger(day_of_week=day, hour=eh, minute=em, timezone=tz),
            # retention, daily, an hour after the snapshots ([retention]; also `prune`)
            "prune": CronTrigger(hour=(h + 1) % 24, minute=m, timezone=tz),
        }
        for name, trigger in triggers.items():
            if name == "email" and not (
                self.settings.report.email.smtp_host and self.settings.report.email.recipients
            ):
                log.warning("no report.email.smtp_host/recipients: the weekly email is off")
                continue
            first = datetime.now(UTC) + timedelta(seconds=1) if name == "collect" else None
            self.scheduler.add_job(
                run_job,
                trigger,
                args=[name],
                id=name,
                name=name,
                replace_existing=True,
                next_run_time=first or trigger.get_next_fire_time(None, datetime.now(tz)),
            )

    # ---------------------------------------------------------------- running
    def run_job(self, name: str) -> None:
        if self.stopping.is_set():
            return
        ctx = JobContext(engine=self.engine, stop=self.stopping.is_set)
        started = time.monotonic()
        record_start(self.engine, name, datetime.now(UTC))
        try:
            outcome = self.jobs[name](ctx)
        except EchoChamberError as exc:
            self._failed(name, str(exc), started)
            return
        except Exception as exc:  # a bug must not stop the scheduler either
            if is_database_error(exc):  # one line: no SQL, no parameters in the log
                self._failed(name, str(database_error(getattr(exc, "orig", None) or exc)), started)
                return
            log.exception("job %s crashed", name, extra={"job": name})
            self._failed(name, f"{type(exc).__name__}: {exc}", started)
            return
        results = list(outcome) if isinstance(outcome, list) else []
        failed = [r for r in results if getattr(r, "status", "ok") == "failed"]
        status = "ok" if not failed else ("failed" if len(failed) == len(results) else "partial")
        message = "; ".join(f"{r.server} {r.stream}: {'; '.join(r.errors)}" for r in failed)
        record_end(
            self.engine,
            name,
            datetime.now(UTC),
            status,
            message or None,
            time.monotonic() - started,
        )
        self.failures.pop(name, None)
        log.info(
            "job %s %s in %.1fs",
            name,
            status,
            time.monotonic() - started,
            extra={"job": name, "duration": round(time.monotonic() - started, 3)},
        )
        if name == "snapshot" and self.settings.report.site.dir:
            self.run_job("site")  # the site shows the new snapshots; its failure is its own

    def _failed(self, name: str, message: str, started: float) -> None:
        n = self.failures[name] = self.failures.get(name, 0) + 1
        delay = min(60 * 2 ** (n - 1), 3600)
        log.error(
            "job %s failed (%d in a row): %s; retry in %ds",
            name,
            n,
            message,
            delay,
            extra={"job": name},
        )
        record_end(
            self.engine, name, datetime.now(UTC), "failed", message, time.monotonic() - started
        )
        if not self.stopping.is_set():
            self.scheduler.add_job(
                run_job,
                "date",
                args=[name],
                id=f"retry-{name}",
                replace_existing=True,
                run_date=datetime.now(UTC) + timedelta(seconds=delay),
            )

    def start(self) -> None:
        Daemon._current = self

        def stop(signum: int, _frame: Any) -> None:
            log.warning("signal %d: finishing the page in hand, then exiting", signum)
            self.stopping.set()
            threading.Thread(
                target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True
            ).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.scheduler.add_listener(_skipped, EVENT_JOB_MAX_INSTANCES)
        self.schedule()
        log.warning(
            "echochamber daemon started: jobs %s",
            ", ".join(j.id for j in self.scheduler.get_jobs()),
        )
        self.scheduler.start()
        log.warning("echochamber daemon stopped")


def run_job(name: str) -> None:
    """The job store's reference: runs a job in the current daemon."""
    daemon = Daemon._current
    if daemon is None:  # pragma: no cover - a job fired outside a daemon
        raise RuntimeError("no daemon is running")
    daemon.run_job(name)


def _skipped(event: JobExecutionEvent) -> None:
    log.info("job %s still running; this turn skipped", event.job_id)
