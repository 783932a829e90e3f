"""The map of a week as a PNG for the email and the HTML report (matplotlib, Agg backend).

The core in the centre, outsiders on rings by travel distance, ties coloured by kind, nodes
sized by activity, the top bridges numbered on the map and named below it.  Large type, so
it stays readable at phone width; deterministic (the positions come with the map, nothing
here is random).
"""

from __future__ import annotations

import io
import math

from echochamber.graph.layout import BAND, RINGS, ring_of, ring_radius
from echochamber.models import WeekMap
from echochamber.text import display_name

# One palette for the PNG and the interactive page (colour-blind safe, Okabe-Ito based).
RING_COLOURS: tuple[str, ...] = ("#d55e00", "#e69f00", "#009e73", "#0072b2", "#9a9a9a")
KIND_COLOURS: dict[str, str] = {
    "reply": "#0072b2",
    "quote": "#cc79a7",
    "boost": "#009e73",
    "favourite": "#e69f00",
    "mention": "#7f7f7f",
}


def node_size(activity: int) -> float:
    """A node's radius in points: grows with the square root of its activity, capped.

    >>> node_size(0), node_size(9), node_size(10_000)
    (1.5, 4.5, 9.0)
    """
    return min(1.5 + math.sqrt(max(activity, 0)), 9.0)


def render_png(week_map: WeekMap, *, width_px: int = 1080) -> bytes:
    """The map as PNG bytes, ``width_px`` square (1080 reads well on a phone)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    nodes = week_map.nodes
    bridges = sorted((n for n in nodes if n.bridge), key=lambda n: n.bridge)
    rows = math.ceil(len(bridges) / 2)
    # heights in inches, top to bottom: title, map, legends, the bridges' list
    inches, top, legend, listed = 4.5, 0.42, 0.42, (0.2 + 0.15 * rows if rows else 0.0)
    height = top + inches + legend + listed
    fig = Figure(figsize=(inches, height), dpi=width_px / inches)
    ax = fig.add_axes((0.0, (legend + listed) / height, 1.0, inches / height))
    ax.set_aspect("equal")
    ax.axis("off")
    rings = [ring_of(n.is_core, n.distance) for n in nodes]
    used = sorted(set(rings))
    outer = ring_radius(max(used, default=0)) + BAND + 0.3 if used else 1.5
    for k in used:
        r = ring_radius(k) or 1.0
        ax.add_patch(Circle((0, 0), r, fill=False, color="#cccccc", lw=0.6, ls="--", zorder=0))
        edge = r + (0.0 if k == 0 else BAND)  # the label sits on the ring's outer edge, at 12°
        ax.text(
            edge * -0.208,
            edge * 0.978,
            RINGS[k],
            ha="center",
            va="center",
            fontsize=6,
            color="#444444",
            rotation=12,
            zorder=5,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    xy = [(n.x, n.y) for n in nodes]
    alpha = max(0.06, min(0.5, 8 / math.sqrt(len(week_map.edges) + 1)))
    kinds = week_map.kinds()
    for kind in kinds:
        segs = [(xy[e.source], xy[e.target]) for e in week_map.edges if e.kind == kind]
        ax.add_collection(
            LineCollection(
                segs,
                colors=KIND_COLOURS.get(kind, "#999999"),
                linewidths=0.5,
                alpha=alpha,
                zorder=2,
            )
        )
    sizes = [node_size(n.activity) ** 2 for n in nodes]
    ax.scatter(
        [p[0] for p in xy],
        [p[1] for p in xy],
        s=sizes,
        c=[RING_COLOURS[k] for k in rings],
        linewidths=0.3,
        edgecolors="white",
        zorder=3,
    )
    for n in bridges:  # numbered on the map, named in the list below it
        ax.annotate(
            str(n.bridge),
            (n.x, n.y),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=6,
            weight="bold",
            zorder=4,
            bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "#333333", "lw": 0.5},
        )
    if bridges:
        fig.text(
            0.04,
            (listed - 0.05) / height,
            "Top bridges (outsiders reached through them)",
            fontsize=6.5,
            weight="bold",
            va="top",
        )
        for i, n in enumerate(bridges):
            side = "core" if n.is_core else f"{n.distance} step{'s' if n.distance != 1 else ''}"
            fig.text(
                0.04 + 0.48 * (i // rows),
                (listed - 0.2 - 0.15 * (i % rows)) / height,
                f"{n.bridge}  {display_name(n.handle, 30)} ({side})",
                fontsize=6,
                va="top",
            )
    ax.set_xlim(-outer, outer)
    ax.set_ylim(-outer, outer)
    status = ", provisional" if week_map.provisional else ""
    fig.text(
        0.5,
        1 - 0.06 / height,
        f"{display_name(week_map.title, 40)} {week_map.week}{status}".strip(),
        ha="center",
        va="top",
        fontsize=9,
        weight="bold",
    )
    fig.text(
        0.5,
        1 - 0.26 / height,
        f"{week_map.participants} accounts, {len(week_map.edges)} ties; rings: steps from the core",
        ha="center",
        va="top",
        fontsize=6.5,
        color="#555555",
    )
    kind_items = [Line2D([0], [0], color=KIND_COLOURS.get(k, "#999"), lw=2, label=k) for k in kinds]
    ring_items = [
        Line2D(
            [0],
            [0],
            marker="o",
            color="w",
            markerfacecolor=RING_COLOURS[k],
            markersize=6,
            label=RINGS[k],
        )
        for k in used
    ]
    for items, y in ((kind_items, 0.2), (ring_items, 0.0)):
        if items:
            fig.add_artist(
                fig.legend(
                    handles=items,
                    loc="lower center",
                    ncol=len(items),
                    fontsize=6.5,
                    frameon=False,
                    bbox_to_anchor=(0.5, (listed + y) / height),
                    handlelength=1.2,
                    columnspacing=1.0,
                )
            )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
