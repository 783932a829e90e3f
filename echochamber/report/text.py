"""The plain-text report: the same numbers as the HTML, for the text/plain part and terminals.

Handles and names go through :func:`echochamber.text.display_name`, as in the HTML; trees are
indented lines; every number points to a numbered note naming its section of docs/metrics.md.
"""

from __future__ import annotations

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


def tree_lines(node: TreeNode, indent: str = "    ") -> list[str]:
    """A conversation tree as indented lines, one per post or boost, "+N more" where cut."""
    pad = indent + "  " * node.depth
    where = fmt_distance(node.core, node.distance)
    lines = [f"{pad}{fmt_step(node.kind, node.depth)}: {fmt_name(node.handle)} ({where})"]
    for child in node.children:
        lines += tree_lines(child, indent)
    if node.more:
        lines.append(f"{pad}  {fmt_more(node.more)}")
    return lines


def render_text(data: ReportData) -> str:
    """Render the report as plain text (control characters stripped from user content)."""
    notes = report_notes(data)
    number = {f.key: f.number for f in notes}

    def ref(*keys: str) -> str:
        ns = [str(number[k]) for k in keys if k in number]
        return f" [{','.join(ns)}]" if ns else ""

    note = f" ({PROVISIONAL})" if data.settling else ""
    first = headline_sentence(data)
    lines = [
        f"{data.tag_label} — week {data.week_label}: {first}.{note}" + ref(*headline_keys(data))
    ]
    complete = completeness_line(data.current.get("completeness"))
    lines += [complete + ref("completeness"), ""] if complete else [""]
    if data.provisional is not None:
        label, m = data.provisional
        share = fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))
        ci = fmt_interval(HEADLINE_KEY, (m.get("ci") or {}).get(HEADLINE_KEY))
        lines += [
            f"Provisional, still settling: week {label}: {share}{f' ({ci})' if ci else ''}."
            + ref("provisional"),
            "",
        ]
    rows = headline_rows(data)
    width = max(len(r["label"]) + len(ref(r["key"])) for r in rows)
    for r in rows:
        change = f"  ({r['change']})" if r["change"] else ""
        lines.append(f"{r['label'] + ref(r['key']):<{width}}  {r['value']}{change}")
    if len(data.history) > 1:
        lines += ["", "Trend (oldest first): outsiders among those who engaged with the core"]
        lines[-1] += ref("trend")
        for w, m in data.history:
            ci = fmt_interval(HEADLINE_KEY, (m.get("ci") or {}).get(HEADLINE_KEY))
            share = fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))
            lines.append(f"  {w}: {share}{f' ({ci})' if ci else ''}")
    if data.by_scope:
        lines += ["", "By platform"]
        for scope, m in data.by_scope.items():
            lines.append(
                f"  {scope:<9} engaged {fmt_value('engaged', m.get('engaged'))}"
                f", outsiders {fmt_value(HEADLINE_KEY, m.get(HEADLINE_KEY))}"
                f", E-I {fmt_value('ei_index', m.get('ei_index'))}"
            )
    if data.conversations:
        lines += ["", "Conversations that travelled farthest" + ref("conversations")]
        for i, c in enumerate(data.conversations, 1):
            summary = fmt_conversation(c.posts, c.boosts, c.outsiders, c.farthest)
            lines.append(f"  {i}. {summary}")
            lines.append(f"     {display_name(c.uri, limit=200)}")
            lines += tree_lines(c.root, "     ")
    if data.bridges:
        lines += ["", "Top bridges" + ref("bridges")]
        for b in data.bridges:
            where = fmt_distance(b.core, 0 if b.core else b.distance)
            lines.append(f"  {fmt_name(b.handle)} ({where}): {fmt_reached(b.reached)}")
    if data.new_voices:
        lines += ["", "New voices: first seen this week, engaged with the core" + ref("new_voices")]
        for v in data.new_voices[:VOICES_SHOWN]:
            name = display_name(v.display_name)
            where = fmt_distance(False, v.distance)
            lines.append(f"  {fmt_name(v.handle)}{f' — {name}' if name else ''} ({where})")
        if len(data.new_voices) > VOICES_SHOWN:
            lines.append(f"  {fmt_more(len(data.new_voices) - VOICES_SHOWN)}")
    lines += [
        "",
        "Intervals are 95%; a change is reported only when the interval of the difference",
        "excludes 0. Notes: where each number is defined in echochamber's docs/metrics.md:",
    ]
    lines += [f"  [{f.number}] {f.label}: {f.ref}" for f in notes]
    return "\n".join(lines) + "\n"
