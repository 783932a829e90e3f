"""The weekly email: subject with the headline, text and HTML parts, the chart inline."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from echochamber.report.chart import trend_chart_png
from echochamber.report.data import ReportData, headline_sentence
from echochamber.report.html import render_html
from echochamber.report.text import render_text


def subject(data: ReportData) -> str:
    """The week, the headline share with its 95% interval and the week-over-week verdict.

    >>> m = lambda x, se: {"engaged_outside_share": x, "ci_se": {"engaged_outside_share": se},
    ...                    "ci": {"engaged_outside_share": [x - 2 * se, x + 2 * se]}}
    >>> subject(ReportData("#hcsm", "2026-W47", [("2026-W46", m(0.60, 0.02)),
    ...                                          ("2026-W47", m(0.72, 0.02))]))
    "#hcsm week 47: 72% of the core's audience from outside (95% CI 68-76%), +12.0 pts"
    >>> subject(ReportData("#hcsm", "2026-W47", [("2026-W46", m(0.70, 0.03)),
    ...                                          ("2026-W47", m(0.72, 0.03))]))
    "#hcsm week 47: 72% of the core's audience from outside (95% CI 66-78%), no clear change"
    """
    week = data.week_label.split("W")[-1].lstrip("0") or data.week_label
    return f"{data.tag_label} week {week}: {headline_sentence(data, short=True)}"


def build_message(
    data: ReportData, sender: str, recipients: list[str], map_png: bytes | None = None
) -> EmailMessage:
    """multipart/alternative (text, HTML) with the chart, and the week's map when given
    (:func:`echochamber.report.static_map.render_png`), as inline related PNGs."""
    msg = EmailMessage()
    msg["Subject"] = subject(data)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "echochamber.local"
    msg["Message-ID"] = make_msgid("echochamber", domain=domain)
    msg.set_content(render_text(data))
    cid = make_msgid("trend", domain=domain)
    chart = trend_chart_png(data.history) if data.history else None
    map_cid = make_msgid("map", domain=domain)
    msg.add_alternative(
        render_html(
            data,
            chart_cid=cid[1:-1] if chart else None,
            map_cid=map_cid[1:-1] if map_png else None,
        ),
        subtype="html",
    )
    html_part: Any = msg.get_payload()[1]  # type: ignore[index]
    if map_png:
        html_part.add_related(
            map_png, maintype="image", subtype="png", cid=map_cid, filename="map.png"
        )
    if chart:
        html_part.add_related(chart, maintype="image", subtype="png", cid=cid, filename="trend.png")
    return msg


def write_preview(msg: EmailMessage, path: Path) -> None:
    """Write the message as ``.eml``, or its HTML part (chart inlined as data:) otherwise."""
    if path.suffix.lower() == ".eml":
        path.write_bytes(bytes(msg))
        return
    import base64

    html_part = msg.get_body(("html",))
    html = html_part.get_content() if html_part else ""
    for part in msg.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_type() == "image/png":
            data = base64.b64encode(part.get_payload(decode=True)).decode()  # type: ignore[arg-type]
            html = html.replace(f"cid:{cid[1:-1]}", f"data:image/png;base64,{data}")
    path.write_text(html, encoding="utf-8")
