"""The plain-text report: the same numbers as the HTML, for the text/plain part and terminals."""

from __future__ import annotations

from echochamber.report.data import (
    HEADLINE_KEY,
    ReportData,
    completeness_line,
    headline_rows,
    headline_sentence,
)
from echochamber.report.format import fmt_interval, fmt_value
from echochamber.text import clean_text


def _clip(text: object, width: int) -> str:
    s = clean_text(str(text or ""))
    return s if len(s) <= width else s[: width - 1] + "…"


def render_text(data: ReportData) -> str:
    """Render the report as plain text (control characters stripped from user content)."""
    note = " (provisional: still settling)" if data.settling else ""
    lines = [f"{data.tag_label} — week {data.week_label}: {headline_sentence(data)}.{note}"]
    complete = completeness_line(data.current.get("completeness"))
    lines += [complete, ""] if complete else [""]
    if data.provisional is not None:
        label, m = data.provisional
        share = fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))
        ci = fmt_interval(HEADLINE_KEY, (m.get("ci") or {}).get(HEADLINE_KEY))
        lines += [
            f"Provisional, still settling: week {label}: {share}{f' ({ci})' if ci else ''}.",
            "",
        ]
    rows = headline_rows(data)
    width = max(len(r["label"]) for r in rows)
    for r in rows:
        change = f"  ({r['change']})" if r["change"] else ""
        lines.append(f"{r['label']:<{width}}  {r['value']}{change}")
    if len(data.history) > 1:
        lines += ["", "Trend (oldest first): outsiders among those who engaged with the core"]
        lines.append(
            "  "
            + "  ".join(
                f"{w}: {fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))}" for w, m in data.history
            )
        )
    if data.by_scope:
        lines += ["", "By platform"]
        for scope, m in data.by_scope.items():
            lines.append(
                f"  {scope:<9} engaged {fmt_value('engaged', m.get('engaged'))}"
                f", outsiders {fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))}"
                f", E-I {fmt_value('ei_index', m.get('ei_index'))}"
            )
    if data.conversations:
        lines += ["", "Conversations that travelled farthest"]
        for c in data.conversations:
            lines.append(
                f"  {_clip(c.get('author'), 40)}: {c.get('size')} posts, "
                f"{c.get('outsiders')} outsiders — {_clip(c.get('uri'), 80)}"
            )
    if data.bridges:
        lines += ["", "Top bridges"]
        for b in data.bridges:
            role = "core" if b.get("is_core") else "outside"
            lines.append(f"  {_clip(b.get('handle'), 40)} ({role}): reached {b.get('reached')}")
    if data.new_voices:
        lines += ["", "New voices"]
        for v in data.new_voices[:15]:
            lines.append(f"  {_clip(v.get('handle'), 40)} {_clip(v.get('display_name'), 40)}")
    lines += [
        "",
        "Intervals are 95%; a change is reported only when the interval of the difference",
        "excludes 0. Each measure is defined in echochamber's docs/metrics.md.",
    ]
    return "\n".join(lines) + "\n"
