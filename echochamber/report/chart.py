"""The 12-week trend chart (matplotlib, Agg backend, PNG bytes)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any


def trend_chart_png(history: Sequence[tuple[str, Mapping[str, Any]]]) -> bytes:
    """Outsiders among the engaged (with its 95% interval as a band), E-I index and
    conductance over the weeks, as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    weeks = [w.split("-")[-1] for w, _ in history]
    xs = range(len(weeks))
    fig = Figure(figsize=(6.4, 3.0), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for key, label in (
        ("engaged_outside_share", "outsiders among the engaged"),
        ("ei_index", "E-I index"),
        ("conductance", "conductance"),
    ):
        ys = [_num(m.get(key)) for _, m in history]
        (line,) = ax.plot(xs, ys, marker="o", linewidth=1.6, label=label)
        lo = [_num(_bound(m, key, 0)) for _, m in history]
        hi = [_num(_bound(m, key, 1)) for _, m in history]
        if key == "engaged_outside_share" and any(x == x for x in lo):  # not all NaN
            ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.18, linewidth=0)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(weeks, fontsize=8)
    ax.axhline(0, color="#999999", linewidth=0.6)
    ax.set_ylim(-1.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _bound(m: Mapping[str, Any], key: str, i: int) -> Any:
    ci = m.get("ci")
    pair = ci.get(key) if isinstance(ci, Mapping) else None
    return pair[i] if isinstance(pair, list | tuple) and len(pair) == 2 else None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")
