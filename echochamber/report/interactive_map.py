"""The interactive map of a week: one self-contained HTML file that works offline.

sigma.js (WebGL) and graphology are inlined from ``assets/sigma-graphology.min.js`` (pinned,
built by ``scripts/vendor-map-assets``), the page script from ``assets/map.js``, and the data as
``<script type="application/json">``.  Positions come from Python
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

ASSETS = ("sigma-graphology.min.js", "map.js")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:">
<title>@TITLE@</title>
<style>
html, body { margin: 0; height: 100%; font: 14px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; }
body { display: flex; flex-direction: column; }
header { padding: 8px 12px; border-bottom: 1px solid #ddd; background: #fafafa; }
h1 { font-size: 17px; margin: 0 0 2px; }
#summary, #legend, #found { color: #555; font-size: 13px; margin: 2px 0; }
#controls { display: flex; flex-wrap: wrap; gap: 6px 14px; align-items: center; margin-top: 6px; }
#controls label { white-space: nowrap; }
#kinds { display: inline-flex; flex-wrap: wrap; gap: 4px 10px; border: 0; padding: 0; margin: 0; }
.key { margin-right: 10px; white-space: nowrap; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 4px; }
.line { display: inline-block; width: 14px; height: 3px; margin: 0 4px 3px 2px; vertical-align: middle; }
#map { flex: 1; min-height: 300px; position: relative; background: #fff; }
#map canvas.rings { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
#tip { position: absolute; z-index: 10; background: rgba(255,255,255,.95); border: 1px solid #bbb;
  border-radius: 4px; padding: 4px 7px; font-size: 13px; pointer-events: none; max-width: 280px; }
#tip .handle { font-weight: 600; overflow-wrap: anywhere; }
input[type=search] { width: 14em; font-size: 14px; }
</style>
</head>
<body>
<header>
<h1 id="title"></h1>
<p id="summary"></p>
<p id="legend"></p>
<div id="controls">
<form id="search-form" role="search"><input id="search" type="search" placeholder="find a handle" aria-label="find a handle"> <button type="submit">find</button> <button type="button" id="reset">reset</button></form>
<fieldset id="kinds"><legend class="key">ties:</legend></fieldset>
<label><input type="checkbox" id="far"> hide outsiders 3+ steps away</label>
<label><input type="checkbox" id="unreached"> hide accounts not reached</label>
</div>
<p id="found" aria-live="polite"></p>
</header>
<div id="map"><div id="tip" hidden></div></div>
<script type="application/json" id="map-data">@DATA@</script>
<script>@LIBRARY@</script>
<script>@PAGE@</script>
</body>
</html>
"""

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
            "bridge": [int(n.bridge) for n in nodes],
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
    return re.sub("@(TITLE|DATA|LIBRARY|PAGE)@", lambda m: parts[m.group(0)], _PAGE)
