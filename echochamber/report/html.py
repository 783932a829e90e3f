"""The HTML report (Jinja2, autoescaped): phone-readable, inline CSS, no external resources."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from echochamber.report.data import (
    HEADLINE_KEY,
    ReportData,
    completeness_line,
    headline_rows,
    headline_sentence,
)
from echochamber.report.format import fmt_interval, fmt_value

_env = Environment(
    loader=PackageLoader("echochamber.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(data: ReportData, chart_cid: str | None = None, map_cid: str | None = None) -> str:
    """Render the report; ``chart_cid`` and ``map_cid`` name the inline trend and map images
    (``cid:`` URLs; the map comes from :func:`echochamber.report.static_map.render_png`)."""
    template = _env.get_template("report.html.j2")
    trend = [
        {
            "week": w,
            "outside": fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY)),
            "ei": fmt_value("ei_index", m.get("ei_index")),
        }
        for w, m in data.history
    ]
    scopes = [
        {
            "scope": s,
            "participants": fmt_value("engaged", m.get("engaged")),
            "outside": fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY)),
            "ei": fmt_value("ei_index", m.get("ei_index")),
        }
        for s, m in (data.by_scope or {}).items()
    ]
    provisional = None
    if data.provisional is not None:
        label, m = data.provisional
        provisional = {
            "week": label,
            "value": fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY)),
            "ci": fmt_interval(HEADLINE_KEY, (m.get("ci") or {}).get(HEADLINE_KEY)),
        }
    return template.render(
        data=data,
        rows=headline_rows(data),
        chart_cid=chart_cid,
        map_cid=map_cid,
        trend=trend,
        scopes=scopes,
        headline=headline_sentence(data),
        completeness=completeness_line(data.current.get("completeness")),
        provisional=provisional,
    )
