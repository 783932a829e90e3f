"""The weekly report: rendering, hostile input, and delivery through a real SMTP server."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from echochamber.config import (
    CoreSettings,
    EmailSettings,
    MetricsSettings,
    ReportSettings,
    Settings,
)
from echochamber.errors import ReportError
from echochamber.models import BridgeView, ConversationView, TreeNode, VoiceView, Window
from echochamber.pipeline.context import JobContext
from echochamber.pipeline.report import send_weekly_report
from echochamber.report.data import ReportData
from echochamber.report.email import build_message, subject, write_preview
from echochamber.report.html import render_html
from echochamber.report.smtp import send_message
from echochamber.report.text import render_text
from echochamber.store import deliveries, load_snapshot
from tests.smtpserver import PASSWORD, USER, smtp_server
from tests.storebuild import MONDAY, graph_as_posts, handle

HOSTILE = '<script>alert("x")</script>\x1b[31m[bold]boom[/bold]'


def week_metrics(i: int, share: float, se: float = 0.01) -> dict[str, Any]:
    return {
        "engaged_outside_share": share,
        "ci": {"engaged_outside_share": [share - 2 * se, share + 2 * se]},
        "ci_se": {"engaged_outside_share": se, "ei_index": 0.001},
        "outside_share": 0.30 + 0.01 * i,
        "ei_index": -0.5 + 0.02 * i,
        "conductance": 0.2,
        "participants": 100 + i,
        "posts": 50,
        "travel_profile": {"1": 5, "2": 2, "3+": 1},
    }


def data(**kw: Any) -> ReportData:
    # W46 -> W47: 0.60 -> 0.65 with se 0.01 each: the interval of the difference is
    # 5 ± 1.96 * sqrt(2) * 1 = 5 ± 2.8 points, which excludes 0: a clear +5.0 pts.
    history = [(f"2026-W{40 + i}", week_metrics(i, 0.30 + 0.05 * i)) for i in range(8)]
    base = {
        "tag_label": "#hcsm",
        "week_label": "2026-W47",
        "history": history,
        "conversations": [
            ConversationView(
                "https://x.example/1",
                TreeNode(HOSTILE, "root", 0, True, 0, (TreeNode("o@x", "reply", 1, False, 1),)),
                9,
                0,
                4,
                1,
            )
        ],
        "bridges": [BridgeView(HOSTILE, False, 3, 1)],
        "new_voices": [VoiceView("new@x.example", HOSTILE, 1, 1)],
    }
    base.update(kw)
    return ReportData(**base)


def test_subject_has_the_headline() -> None:
    # W47: 0.65, interval [0.63, 0.67]; the change from W46 (0.60) is clear (see data()).
    want = "#hcsm week 47: 65% (63-67%) of those engaging with the core were outsiders, +5.0 pts"
    assert subject(data()) == want
    first = data(history=[("2026-W47", week_metrics(7, 0.38))])
    assert subject(first) == (
        "#hcsm week 47: 38% (36-40%) of those engaging with the core were outsiders"
    )
    # 0.60 -> 0.62 with se 0.01: 2 ± 2.8 points holds 0
    close = data(history=[("2026-W46", week_metrics(6, 0.60)), ("2026-W47", week_metrics(7, 0.62))])
    assert subject(close).endswith(
        "(60-64%) of those engaging with the core were outsiders, no clear change"
    )
    text = render_text(close)
    assert text.splitlines()[0] == (
        "#hcsm — week 2026-W47: This week 62% (60–64%) of the people who engaged with the "
        "core were outside it; no clear change from last week. [1,2,3]"
    )
    # E-I moved by 0.02 with se 0.001 a week: a clear change, shown as a number
    assert "+0.020" in text
    # the home servers' completeness, once the collection measures it, beside the headline
    measured = {"replies": 0.9, "boosts": 1.0, "favourites": 0.5}
    done = data(history=[("2026-W47", week_metrics(7, 0.6) | {"completeness": measured})])
    assert render_text(done).splitlines()[1] == (
        "Fetched of what home servers count: replies 90%, boosts 100%, favourites 50%. [3]"
    )
    assert "replies 90%" in render_html(done)


def test_hostile_text_is_escaped_and_stripped() -> None:
    html = render_html(data())
    assert "<script>" not in html and "&lt;script&gt;" in html
    text = render_text(data())
    assert "\x1b" not in text
    assert "65.0%" in text and "65.0%" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "<img" not in html


def test_message_parts_and_inline_chart(tmp_path: Path) -> None:
    msg = build_message(data(), "echo@x.example", ["a@x.example", "b@x.example"])
    assert msg.get_content_type() == "multipart/alternative"
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    cid = re.search(r'src="cid:([^"]+)"', html)
    assert cid
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == f"<{cid.group(1)}>"
    assert images[0].get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "r.html"
    write_preview(msg, out)
    assert "data:image/png;base64," in out.read_text()
    eml = tmp_path / "r.eml"
    write_preview(msg, eml)
    assert eml.read_bytes().startswith(b"Subject:") or b"Subject:" in eml.read_bytes()[:500]


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_send_over_real_smtp_with_login(tmp_path: Path, security: str) -> None:
    msg = build_message(data(), "echo@x.example", ["team@x.example"])
    with smtp_server(tmp_path, security) as inbox:
        send_message(
            msg,
            host="127.0.0.1" if security == "none" else "localhost",
            port=inbox.port,
            security=security,
            username=USER,
            password=PASSWORD,
            timeout=10,
            context=inbox.client_context,
        )
    assert len(inbox.messages) == 1
    got = inbox.messages[0]
    assert got["Subject"] == msg["Subject"]
    assert inbox.envelopes[0][1] == ["team@x.example"]


def test_wrong_password_and_closed_port(tmp_path: Path) -> None:
    msg = build_message(data(), "echo@x.example", ["team@x.example"])
    with smtp_server(tmp_path) as inbox:
        with pytest.raises(ReportError) as err:
            send_message(
                msg,
                host="127.0.0.1",
                port=inbox.port,
                security="none",
                username=USER,
                password="wrong-pw-123",
            )
        assert "wrong-pw-123" not in str(err.value) and "refused" in str(err.value)
        port = inbox.port
    with pytest.raises(ReportError, match="cannot connect"):
        send_message(msg, host="127.0.0.1", port=port, security="none", timeout=2)


def report_settings(port: int, recipients: tuple[str, ...] = ("team@x.example",)) -> Settings:
    return Settings(
        core=CoreSettings(policy="list", accounts=(handle(0), handle(1))),
        metrics=MetricsSettings(null_samples=10),
        report=ReportSettings(
            title="#hcsm",
            email=EmailSettings(
                smtp_host="127.0.0.1",
                smtp_port=port,
                security="none",
                username=USER,
                sender="echo@x.example",
                recipients=recipients,
                timeout=5,
            ),
        ),
    )


def numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d,]*\.?\d*%?", text)


def test_weekly_report_job_mails_once_and_retries(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECHOCHAMBER_SMTP_PASSWORD", PASSWORD)
    prev = MONDAY - timedelta(days=7)
    graph_as_posts(engine, [(0, 1), (1, 0), (2, 0), (3, 2)], when=prev + timedelta(days=1))
    graph_as_posts(engine, [(0, 1), (1, 0), (2, 0), (4, 1), (5, 4)], start_id=100)
    # Tuesday after W47: W47 is closed but still settling (collect.settle_days = 7), so the
    # report covers W46, the newest settled week, and shows W47 beside it as provisional.
    now = MONDAY + timedelta(days=8)
    ctx = JobContext(engine=engine, clock=lambda: now)
    # SMTP down: the delivery is marked failed
    with smtp_server(tmp_path) as inbox:
        port = inbox.port
    settings = report_settings(port)
    with pytest.raises(ReportError):
        send_weekly_report(settings, ctx)
    assert deliveries(engine)[0].status == "failed"
    with smtp_server(tmp_path) as inbox:
        settings = report_settings(inbox.port)
        first = send_weekly_report(settings, ctx)
        again = send_weekly_report(settings, ctx)
    assert (first.status, again.status) == ("sent", "already-sent")
    assert len(inbox.messages) == 1
    d = deliveries(engine)[0].as_dict()
    assert d["status"] == "sent" and d["attempts"] == 2 and d["week"] == "2026-W46"
    msg = inbox.messages[0]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    settled = load_snapshot(engine, Window(prev, MONDAY), "all", "list")
    latest = load_snapshot(engine, Window(MONDAY, MONDAY + timedelta(days=7)), "all", "list")
    assert settled is not None and settled.final and latest is not None and latest.provisional
    m = settled.metrics
    # W46: 0 and 1 are the core; 2 replied to 0 and 3 to 2: engaged = {0, 1, 2} (3 acted on
    # 2's post, not the core's), so 1 of 3 engaged accounts is an outsider.
    assert m["engaged_outside_share"] == pytest.approx(1 / 3)
    share = f"{100 * m['engaged_outside_share']:.1f}%"
    # the first line answers in words: the share, its interval, how far the conversations
    # reached: 2 at one step; 3 answered a post 2 wrote before 2 was reached, which is no
    # time-respecting step: 1 outsider, none farther
    assert re.fullmatch(
        r"#hcsm — week 2026-W46: This week 33% \(\d+–\d+%\) of the people who engaged with "
        r"the core were outside it; conversations reached 1 outsider, none of them two or more "
        r"steps away\. \[1,2,3\]",
        text.splitlines()[0],
    )
    assert share in html
    # W47: 2 and 4 engaged with the core (2 -> 0, 4 -> 1), 5 acted on 4: 2 of 4 are outsiders
    assert latest.metrics["engaged_outside_share"] == pytest.approx(2 / 4)
    assert "Provisional, still settling: week 2026-W47: 50.0%" in text
    assert (
        str(msg["Subject"])
        .strip()
        .startswith("#hcsm week 46: 33% (0-100%) of those engaging with the core were outsiders")
    )
    assert json.dumps(m)  # the stored snapshot is what was mailed
    assert datetime.now(UTC)


def test_daemon_email_job_records_failure_then_success(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from echochamber.daemon import Daemon
    from echochamber.store.jobs import job_status

    monkeypatch.setenv("ECHOCHAMBER_SMTP_PASSWORD", PASSWORD)
    graph_as_posts(engine, [(0, 1), (1, 0), (2, 0)], when=datetime.now(UTC) - timedelta(days=7))
    with smtp_server(tmp_path) as inbox:
        port = inbox.port
    daemon = Daemon(report_settings(port), engine)
    daemon.run_job("email")  # SMTP is down: logged, recorded, a retry is scheduled
    jobs = {j["job"]: j for j in job_status(engine)}
    assert jobs["email"]["status"] == "failed" and "cannot connect" in jobs["email"]["message"]
    assert daemon.scheduler.get_job("retry-email") is not None
    with smtp_server(tmp_path) as inbox:
        daemon.settings = report_settings(inbox.port)
        daemon.run_job("email")
    assert {j["job"]: j for j in job_status(engine)}["email"]["status"] == "ok"
    assert len(inbox.messages) == 1


def test_the_weekly_job_mails_the_week_the_commands_show_when_the_closed_week_is_empty(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Data in 2026-W47 only.  Three weeks on, the clock's last closed week (W48) is empty: the
    job mails W47, the week `report preview` shows, and says why; a week later (W49 closed,
    also empty) it mails nothing new."""
    monkeypatch.setenv("ECHOCHAMBER_SMTP_PASSWORD", PASSWORD)
    graph_as_posts(engine, [(0, 1), (1, 0), (2, 0)])
    with smtp_server(tmp_path) as inbox:
        settings = report_settings(inbox.port)
        at = MONDAY + timedelta(days=22)
        with caplog.at_level("WARNING", logger="echochamber.pipeline.report"):
            first = send_weekly_report(settings, JobContext(engine=engine, clock=lambda: at))
        later = at + timedelta(days=7)
        again = send_weekly_report(settings, JobContext(engine=engine, clock=lambda: later))
    assert (first.week, first.status) == ("2026-W47", "sent")
    assert (again.week, again.status) == ("2026-W47", "already-sent")
    assert "no data in 2026-W48; the weekly report covers 2026-W47" in caplog.text
    assert len(inbox.messages) == 1
