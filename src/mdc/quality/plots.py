"""The report's figures, drawn with matplotlib as inline SVG (text as paths: no fonts, no network
when the report is viewed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from mdc.domain.time import NS_PER_S, date_to_ns
from mdc.quality.completeness import DayCompleteness

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

NO_SESSION: Final = "#e5e7eb"
GAP_COLOR: Final = "#dc2626"
SESSION_COLOR: Final = "#bbf7d0"
HALT_COLOR: Final = "#fde68a"
WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class PlotError(RuntimeError):
    """The plotting library is missing."""


def _require() -> None:
    """matplotlib on its file backend, or :class:`PlotError` naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise PlotError(
            "the quality report draws with matplotlib: pip install 'mdc[report]'"
        ) from None
    matplotlib.use("Agg")


def _figure(width: float, height: float) -> Figure:
    _require()
    import matplotlib as mpl
    from matplotlib.figure import Figure

    mpl.rcParams["svg.fonttype"] = "path"
    mpl.rcParams["svg.hashsalt"] = "mdc"  # the same report gives the same bytes
    return Figure(figsize=(width, height))


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def calendar_svg(symbol: str, days: Sequence[DayCompleteness], start: date, end: date) -> str:
    """A heatmap calendar, one cell per date (weeks down, weekdays across): the day's lowest
    score over its types, grey where the market had no session."""
    _require()
    from matplotlib.colors import LinearSegmentedColormap

    scores: dict[date, float] = {}
    for d in days:
        scores[d.day] = min(scores.get(d.day, 100.0), d.score)
    first = start - timedelta(days=start.weekday())
    weeks = (end - first).days // 7 + 1
    fig = _figure(7, 0.45 * weeks + 0.9)
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list("score", ["#b91c1c", "#facc15", "#15803d"])
    day = first
    while day <= end:
        row, col = (day - first).days // 7, day.weekday()
        inside = day >= start
        color = cmap(scores[day] / 100) if day in scores else NO_SESSION
        if inside:
            ax.add_patch(_rect(col, row, color))
            label = f"{day.day}" if day not in scores else f"{day.day}\n{scores[day]:.0f}"
            ax.text(col + 0.5, row + 0.5, label, ha="center", va="center", fontsize=7)
        day += timedelta(days=1)
    ax.set_xlim(0, 7)
    ax.set_ylim(weeks, 0)
    ax.set_xticks([i + 0.5 for i in range(7)], WEEKDAYS)
    ax.set_yticks(
        [i + 0.5 for i in range(weeks)],
        [(first + timedelta(weeks=i)).isoformat() for i in range(weeks)],
        fontsize=7,
    )
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{symbol}: completeness score per session day", fontsize=9)
    return _svg(fig)


def _rect(col: int, row: int, color: Any) -> Rectangle:
    from matplotlib.patches import Rectangle

    return Rectangle((col + 0.04, row + 0.04), 0.92, 0.92, color=color)


def timeline_svg(symbol: str, days: Sequence[DayCompleteness]) -> str:
    """One row per session day and type: the session (green), halts (amber) and what is
    missing (red), in hours UTC of the day."""
    rows = sorted(days, key=lambda d: (d.day, d.kind))
    fig = _figure(8, 0.28 * max(len(rows), 1) + 1.0)
    ax = fig.add_subplot()
    hour = 3600 * NS_PER_S
    for i, d in enumerate(rows):
        midnight = date_to_ns(d.day)
        ax.broken_barh(
            [((d.open_ns - midnight) / hour, (d.close_ns - d.open_ns) / hour)],
            (i + 0.15, 0.7),
            color=SESSION_COLOR,
        )
        halts = [((a - midnight) / hour, (b - a) / hour) for a, b in d.halts]
        if halts:
            ax.broken_barh(halts, (i + 0.15, 0.7), color=HALT_COLOR)
        spans = [((s.from_ts - midnight) / hour, (s.to_ts - s.from_ts) / hour) for s in d.missing]
        if spans:
            ax.broken_barh(spans, (i + 0.15, 0.7), color=GAP_COLOR)
    ax.set_yticks(
        [i + 0.5 for i in range(len(rows))],
        [f"{d.day.isoformat()} {d.kind}" for d in rows],
        fontsize=7,
    )
    ax.set_ylim(len(rows), 0)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("hour of the day (UTC)", fontsize=8)
    ax.set_title(f"{symbol}: missing (red) and halted (amber) within sessions (green)", fontsize=9)
    return _svg(fig)
