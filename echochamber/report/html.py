"""The HTML report (Jinja2, autoescaped): phone-readable, inline CSS, no external resources."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from echochamber.report.data import ReportData, headline_rows
from echochamber.report.format import fmt_value

_env = Environment(
    loader=PackageLoader("echochamber.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(data: ReportData, chart_cid: str | None = None) -> str:
    """Render the report; ``chart_cid`` names the inline trend image (``cid:`` URL)."""
    template = _env.get_template("report.html.j2")
    trend = [
        {
            "week": w,
            "outside": fmt_value("outside_share", m.get("outside_share")),
            "ei": fmt_value("ei_index", m.get("ei_index")),
        }
        for w, m in data.history
    ]
    scopes = [
        {
            "scope": s,
            "participants": fmt_value("participants", m.get("participants")),
            "outside": fmt_value("outside_share", m.get("outside_share")),
            "ei": fmt_value("ei_index", m.get("ei_index")),
        }
        for s, m in (data.by_scope or {}).items()
    ]
    return template.render(
        data=data, rows=headline_rows(data), chart_cid=chart_cid, trend=trend, scopes=scopes
    )
