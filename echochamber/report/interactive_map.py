"""The interactive map of a week: one self-contained HTML file that works offline.

sigma.js (WebGL) and graphology are inlined from ``assets/sigma-graphology.min.js`` (pinned,
built by ``scripts/vendor-map-assets``), the page script from ``assets/map.js``, and the data as
``<script type="application/json">``, into the page ``assets/map.html``.  Positions come from Python
(:func:`echochamber.graph.layout.ring_layout`), so the browser runs no layout and 20,000
accounts stay smooth.  A Content-Security-Policy forbids every request; handles arrive already
made safe (``text.display_name``), the JSON is escaped so no ``</script>`` or ``<!--`` can end
its element, and the page script writes text only through ``textContent``.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

from echochamber.graph.layout import RINGS
from echochamber.models import WeekMap
from echochamber.report.static_map import KIND_COLOURS, RING_COLOURS
from echochamber.text import display_name

ASSETS = ("sigma-graphology.min.js", "map.js", "map.html")


_SCRIPT_END = re.compile(r"<(/script|!--)", re.IGNORECASE)


def json_for_script(value: Any) -> str:
    """JSON that cannot end or confuse the ``<script>`` element holding it.

    ``<``, ``>`` and ``&`` become ``\\u`` escapes (valid JSON, the same string once parsed),
    and so do the line separators JavaScript once treated as line ends.

    >>> json_for_script({"h": "</script><!--"})
    '{"h":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


@cache
def asset(name: str) -> str:
    """A bundled script, with any ``</script`` or ``<!--`` in it neutralised for inlining."""
    text = (files("echochamber.report") / "assets" / name).read_text(encoding="utf-8")
    return _SCRIPT_END.sub(lambda m: "<\\" + m.group(1), text)


def map_data(week_map: WeekMap) -> dict[str, Any]:
    """The page's data, column by column (compact at 20,000 accounts)."""
    kinds = list(week_map.kinds())
    kind_index = {k: i for i, k in enumerate(kinds)}
    nodes = week_map.nodes
    return {
        "title": display_name(week_map.title, 80),
        "week": week_map.week,
        "scope": week_map.scope,
        "provisional": week_map.provisional,
        "rings": list(RINGS),
        "ringColours": list(RING_COLOURS),
        "kinds": kinds,
        "kindColours": {k: KIND_COLOURS.get(k, "#999999") for k in kinds},
        "nodes": {
            "handle": [display_name(n.handle) for n in nodes],
            "core": [int(n.is_core) for n in nodes],
            "distance": [n.distance for n in nodes],
            "activity": [n.activity for n in nodes],
            "ties": [n.ties for n in nodes],
            "bridge": [n.bridge for n in nodes],
            "x": [n.x for n in nodes],
            "y": [n.y for n in nodes],
        },
        "edges": {
            "source": [e.source for e in week_map.edges],
            "target": [e.target for e in week_map.edges],
            "kind": [kind_index[e.kind] for e in week_map.edges],
            "weight": [e.weight for e in week_map.edges],
        },
    }


def render_map_html(week_map: WeekMap) -> str:
    """The whole page as one string (write it with UTF-8)."""
    title = f"{display_name(week_map.title, 80)} {week_map.week}: the map".strip()
    parts = {
        "@TITLE@": html.escape(title),
        "@DATA@": json_for_script(map_data(week_map)),
        "@LIBRARY@": asset(ASSETS[0]),
        "@PAGE@": asset(ASSETS[1]),
    }
    page = (files("echochamber.report") / "assets" / ASSETS[2]).read_text(encoding="utf-8")
    return re.sub("@(TITLE|DATA|LIBRARY|PAGE)@", lambda m: parts[m.group(0)], page)
