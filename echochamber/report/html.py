"""The HTML report (Jinja2, autoescaped): phone-readable, inline CSS, no external resources.

Every handle and name goes through :func:`echochamber.text.display_name` (controls, bidi
overrides and NUL removed, long ones cut with an ellipsis, joiners kept) and is then escaped by
the template.  Images are given as URLs: ``cid:`` in the email, a file or ``data:`` URL on the
site.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from echochamber.models.reporting import TreeNode
from echochamber.report.data import (
    HEADLINE_KEY,
    ReportData,
    completeness_line,
    headline_keys,
    headline_rows,
    headline_sentence,
    report_notes,
)
from echochamber.report.format import (
    PROVISIONAL,
    VOICES_SHOWN,
    fmt_conversation,
    fmt_distance,
    fmt_interval,
    fmt_more,
    fmt_name,
    fmt_reached,
    fmt_step,
    fmt_value,
)
from echochamber.text import display_name

TEMPLATES = Environment(
    loader=PackageLoader("echochamber.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _tree(n: TreeNode) -> dict[str, Any]:
    return {
        "handle": fmt_name(n.handle),
        "step": fmt_step(n.kind, n.depth),
        "where": fmt_distance(n.core, n.distance),
        "core": n.core,
        "depth": n.depth,
        "children": [_tree(c) for c in n.children],
        "more": fmt_more(n.more),
    }


def render_html(
    data: ReportData,
    chart_cid: str | None = None,
    *,
    chart_src: str | None = None,
    map_cid: str | None = None,
    map_src: str | None = None,
    map_page: str | None = None,
    nav: Mapping[str, str | None] | None = None,
    docs_href: str | None = None,
) -> str:
    """Render the report.

    ``chart_cid``/``chart_src`` name the trend image (a ``cid:`` in the email, a URL on the
    site); ``map_cid``/``map_src`` the week's map image and ``map_page`` its interactive page,
    both drawn right below the first line when given; ``nav`` the site's ``index``, ``prev``
    and ``next`` links; ``docs_href`` where ``docs/metrics.md`` is served as HTML (footnotes
    become links; without it they name the file).
    """
    template = TEMPLATES.get_template("report.html.j2")
    notes = report_notes(data)
    number = {f.key: f.number for f in notes}

    def note(*keys: str) -> Markup:
        ns = [number[k] for k in keys if k in number]
        links = ",".join(f'<a href="#note-{n}">{n}</a>' for n in ns)
        return Markup(f"<sup>{links}</sup>") if ns else Markup("")

    trend = [
        {
            "week": w,
            "outside": fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY)),
            "ci": fmt_interval(HEADLINE_KEY, (m.get("ci") or {}).get(HEADLINE_KEY)),
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
    conversations = [
        {
            "summary": fmt_conversation(c.posts, c.boosts, c.outsiders, c.farthest),
            "uri": display_name(c.uri, limit=200),
            "root": _tree(c.root),
        }
        for c in data.conversations
    ]
    bridges = [
        {
            "handle": fmt_name(b.handle),
            "where": fmt_distance(b.core, 0 if b.core else b.distance),
            "reached": fmt_reached(b.reached),
        }
        for b in data.bridges
    ]
    voices = [
        {
            "handle": fmt_name(v.handle),
            "name": display_name(v.display_name),
            "where": fmt_distance(False, v.distance),
        }
        for v in data.new_voices[:VOICES_SHOWN]
    ]
    return template.render(
        data=data,
        rows=headline_rows(data),
        chart_src=chart_src or (f"cid:{chart_cid}" if chart_cid else None),
        map_src=map_src or (f"cid:{map_cid}" if map_cid else None),
        map_page=map_page,
        nav=nav,
        trend=trend,
        scopes=scopes,
        headline=headline_sentence(data),
        headline_notes=headline_keys(data),
        completeness=completeness_line(data.current.get("completeness")),
        provisional=provisional,
        provisional_label=PROVISIONAL,
        conversations=conversations,
        bridges=bridges,
        voices=voices,
        voices_more=fmt_more(len(data.new_voices) - VOICES_SHOWN),
        notes=notes,
        note=note,
        docs_href=docs_href,
    )
