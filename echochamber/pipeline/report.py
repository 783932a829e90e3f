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
from echochamber.errors import ConfigError, NotFound, ReportError
from echochamber.models import Window
from echochamber.pipeline.consent import public_story
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.freshness import default_week
from echochamber.pipeline.snapshot import community_window, newest_final_week, snapshot_of
from echochamber.pipeline.story import week_story
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
    engine: Engine,
    settings: Settings,
    window: Window,
    now: datetime,
    *,
    save: bool = False,
    stored_only: bool = False,
) -> ReportData:
    """The report's data from stored snapshots (computing the missing ones of the 12 weeks),
    with the newer week still settling beside it, labelled provisional.  What is computed is
    stored only when ``save`` (a real send); a preview or a dry run stores nothing.

    ``stored_only`` (the static site): only stored snapshots, none computed; the week's own
    must exist (:class:`NotFound` otherwise) and no provisional week is shown beside it.
    """
    window = community_window(settings, window)
    policy = settings.core.policy
    if stored_only:
        found = load_snapshot(engine, window, "all", policy)
        if found is None:
            raise NotFound(f"no snapshot of {window.label}; run: echochamber metrics compute")
        snap = found
        rows = [snap]
        for back in range(1, 12):
            older = load_snapshot(engine, window.previous(back), "all", policy, "none")
            if older is not None:
                rows.append(older)
    else:
        snap = snapshot_of(engine, settings, window, "all", now, save=save)
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
    if newer.start <= now and not stored_only:
        later = snapshot_of(engine, settings, newer, "all", now, save=save, accounts="none")
        if not later.final:
            provisional = (later.window.label, later.metrics)
    by_scope = {}
    for scope in ("mastodon", "twitter", "bluesky"):
        other = load_snapshot(engine, window, scope, policy, "none")
        if other is not None:
            by_scope[scope] = other.metrics
    story = public_story(week_story(engine, settings, snap))
    return ReportData(
        tag_label=settings.title,
        week_label=window.label,
        history=[(s.window.label, s.metrics) for s in rows],
        conversations=story.conversations,
        bridges=story.bridges,
        new_voices=story.new_voices,
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
    map_png: bytes | None = None,
) -> EmailMessage:
    """The weekly report of ``window`` as a message to ``recipients`` (``save``: store the
    snapshots computed for it; only a real send does), with the week's map drawn below the
    first line (``map_png``, else drawn here; a map that cannot be drawn is logged and the
    report goes without it)."""
    from echochamber.report.email import build_message

    data = report_data(engine, settings, window, now, save=save)
    if map_png is None:
        map_png = _map(engine, settings, window)
    return build_message(data, settings.report.email.sender, list(recipients), map_png=map_png)


def _map(engine: Engine, settings: Settings, window: Window) -> bytes | None:
    from echochamber.pipeline.maps import week_map_png

    try:
        return week_map_png(engine, settings, window, "all")
    except Exception as exc:  # an illustration: never worth the report itself
        log.warning("the map of %s was not drawn: %s", window.label, exc)
        return None


def _weekly(engine: Engine, settings: Settings, now: datetime) -> Window:
    closed = closed_week(now, settings)
    week, _why = default_week(engine, settings, "all", now)
    if week.start != closed.start:
        log.warning("no data in %s; the weekly report covers %s", closed.label, week.label)
    return week


def send_weekly_report(
    settings: Settings,
    ctx: JobContext,
    *,
    week: Window | None = None,
    to: tuple[str, ...] | None = None,
    force: bool = False,
) -> Delivery:
    """Mail the report of ``week`` unless it was mailed.

    Without ``week`` (the daemon's weekly job) it is the week every command defaults to, the
    newest settled week with data; when the clock's last closed week has no data, that is
    logged, and an older week already mailed is not mailed again.
    """
    from echochamber.report.smtp import send_message

    email = settings.report.email
    recipients = tuple(to or email.recipients)
    if not email.smtp_host or not recipients:
        raise ConfigError(
            "report.email.smtp_host and report.email.recipients must be set to send the report"
        )
    now = ctx.clock()
    if week is None:
        week = _weekly(ctx.engine, settings, now)
    window = community_window(settings, week)
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
