"""The 12-week trend chart (matplotlib, Agg backend, PNG bytes)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any


def trend_chart_png(history: Sequence[tuple[str, Mapping[str, Any]]]) -> bytes:
    """Outsiders among the engaged, E-I index and conductance over the weeks, as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    weeks = [w.split("-")[-1] for w, _ in history]
    fig = Figure(figsize=(6.4, 3.0), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for key, label in (
        ("engaged_outside_share", "outsiders among the engaged"),
        ("ei_index", "E-I index"),
        ("conductance", "conductance"),
    ):
        ys = [_num(m.get(key)) for _, m in history]
        ax.plot(range(len(weeks)), ys, marker="o", linewidth=1.6, label=label)
    ax.set_xticks(range(len(weeks)))
    ax.set_xticklabels(weeks, fontsize=8)
    ax.axhline(0, color="#999999", linewidth=0.6)
    ax.set_ylim(-1.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
