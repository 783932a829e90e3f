"""The static site's pages: an index of every week and the definitions page (rendering only).

The week pages are the report itself (:func:`echochamber.report.html.render_html` with the
site's links); :mod:`echochamber.pipeline.site` gathers the data and writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from echochamber.report.data import ReportData, headline_sentence
from echochamber.report.format import (
    PROVISIONAL,
    fmt_count,
    fmt_interval,
    fmt_value,
    fmt_verdict,
)
from echochamber.report.html import TEMPLATES
from echochamber.report.notes import slug


@dataclass(frozen=True)
class SiteWeek:
    """A week of the site: its report data and where its page is, relative to the index."""

    data: ReportData
    href: str


def render_index(
    title: str,
    weeks: Sequence[SiteWeek],
    *,
    chart: str | None = None,
    docs: str | None = None,
    generated: str | None = None,
) -> str:
    """The site's front page: the newest week's first line, the trend chart and a table of
    every week (newest first) linking to its page."""
    rows = []
    for w in reversed(weeks):
        d, key = w.data, "engaged_outside_share"
        m = d.current
        rows.append(
            {
                "week": d.week_label,
                "href": w.href,
                "provisional": d.settling,
                "share": fmt_value(key, m.get(key)),
                "ci": fmt_interval(key, (m.get("ci") or {}).get(key)),
                "engaged": fmt_count(m.get("engaged")),
                "reached": fmt_count(m.get("outsiders_reached")),
                "change": fmt_verdict(key, d.verdict(key)),
            }
        )
    latest = None
    if weeks:
        newest = weeks[-1].data
        latest = {"week": newest.week_label, "sentence": headline_sentence(newest)}
    return TEMPLATES.get_template("index.html.j2").render(
        title=title,
        weeks=rows,
        latest=latest,
        chart=chart,
        docs=docs,
        generated=generated,
        provisional_label=PROVISIONAL,
    )


def render_markdown_page(markdown: str, title: str) -> str:
    """A Markdown document (the project's ``docs/metrics.md``) as one self-contained page;
    headings get GitHub's anchors, so ``metrics.html#travel-the-headline`` works as
    ``docs/metrics.md#travel-the-headline`` does.  Raw HTML in the source is escaped."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            tok.attrSet("id", slug(tokens[i + 1].content))
    for tok in tokens:  # links out of the repository are shown, not followed
        for child in tok.children or ():
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if not href.startswith("#"):
                    child.attrSet("href", "#")
    body = md.renderer.render(tokens, md.options, {})
    style = (
        "body{margin:0 auto;max-width:860px;padding:16px;font-family:-apple-system,Segoe UI,"
        "Roboto,Helvetica,Arial,sans-serif;color:#1d2430;line-height:1.5}"
        "table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #d5d9e0;"
        "padding:4px 6px;vertical-align:top}code{background:#eef0f3;padding:0 3px}"
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f'<p><a href="index.html">All weeks</a></p>\n{body}</body>\n</html>\n'
    )
