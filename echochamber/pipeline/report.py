"""The weekly report job: stored snapshots -> ReportData -> message -> SMTP, mailed once a week.

A delivery row per (week, recipient list) makes the job idempotent: a week that was sent is
never sent again; a failed send is marked and goes out on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from echochamber.config import Settings
from echochamber.errors import ConfigError, ReportError
from echochamber.models import Window
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.snapshot import community_window, newest_final_week, snapshot_of
from echochamber.report.data import ReportData
from echochamber.store import (
    Engine,
    begin_delivery,
    get_delivery,
    job_lock,
    load_snapshot,
    mark_delivery,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """The outcome of a send: ``sent``, ``already-sent`` or ``busy`` (another daemon has it)."""

    week: str
    recipients: tuple[str, ...]
    status: str
    message_id: str | None = None
    error: str | None = None


def closed_week(now: datetime, settings: Settings | None = None) -> Window:
    """The newest community week whose conversations have settled (``collect.settle_days``
    after it ended): the week the report covers."""
    return newest_final_week(settings or Settings(), now)


def report_data(
    engine: Engine, settings: Settings, window: Window, now: datetime, *, save: bool = False
) -> ReportData:
    """The report's data from stored snapshots (computing the missing ones of the 12 weeks),
    with the newer week still settling beside it, labelled provisional.  What is computed is
    stored only when ``save`` (a real send); a preview or a dry run stores nothing."""
    window = community_window(settings, window)
    snap = snapshot_of(engine, settings, window, "all", now, save=save, accounts="none")
    rows = [snap]
    for back in range(1, 12):
        rows.append(
            snapshot_of(
                engine, settings, window.previous(back), "all", now, save=save, accounts="none"
            )
        )
    rows.sort(key=lambda s: s.window.start)
    provisional = None
    newer = window.previous(-1)  # the week after it
    if newer.start <= now:
        later = snapshot_of(engine, settings, newer, "all", now, save=save, accounts="none")
        if not later.final:
            provisional = (later.window.label, later.metrics)
    by_scope = {}
    for scope in ("mastodon", "twitter", "bluesky"):
        other = load_snapshot(engine, window, scope, settings.core.policy, "none")
        if other is not None:
            by_scope[scope] = other.metrics
    return ReportData(
        tag_label=settings.title,
        week_label=window.label,
        history=[(s.window.label, s.metrics) for s in rows],
        conversations=snap.details.conversations,
        bridges=snap.details.bridges,
        new_voices=snap.details.new_voices,
        by_scope=by_scope if len(by_scope) > 1 else None,
        provisional=provisional,
        settling=not snap.final,
    )


def build(
    engine: Engine,
    settings: Settings,
    window: Window,
    now: datetime,
    recipients: tuple[str, ...],
    *,
    save: bool = False,
) -> EmailMessage:
    """The weekly report of ``window`` as a message to ``recipients`` (``save``: store the
    snapshots computed for it; only a real send does)."""
    from echochamber.report.email import build_message

    data = report_data(engine, settings, window, now, save=save)
    return build_message(data, settings.report.email.sender, list(recipients))


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
    window = community_window(settings, week or closed_week(now, settings))
    key = ", ".join(sorted(recipients))
    with job_lock(ctx.engine, "email", window.label) as got:
        if not got:
            return Delivery(window.label, recipients, "busy")
        row = get_delivery(ctx.engine, window.label, key)
        if row is not None and row.status == "sent" and not force:
            return Delivery(window.label, recipients, "already-sent", row.message_id)
        begin_delivery(ctx.engine, window.label, key, now)
        msg = build(ctx.engine, settings, window, now, recipients, save=True)
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
            mark_delivery(ctx.engine, window.label, key, "failed", None, str(exc), ctx.clock())
            raise
        mark_delivery(ctx.engine, window.label, key, "sent", msg["Message-ID"], None, ctx.clock())
        log.info("weekly report %s mailed to %s", window.label, key)
        return Delivery(window.label, recipients, "sent", msg["Message-ID"])
