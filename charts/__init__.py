"""Small SVG charts drawn on the server: no JavaScript, no charting service.

Django-free (import-linter keeps it so). Each function returns SVG markup
with every text escaped; the page shows the numbers again in a table for
screen readers (the SVG is role="img" with a summary as its label). Missing
values (None) leave a gap: a figure not reported yet is not drawn as zero.
Every point and bar names its label and value on hover and focus (an SVG
<title>). A line chart's last point may be a period under way: it is drawn
hollow, at the end of a dotted segment, so it does not read as a fall.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
HEIGHT = 240
PAD_LEFT = 56
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 36
# Distinguishable for colour-blind readers, and each series also has its own
# dash pattern and a legend.
COLOURS = ("#0b5cad", "#b35900", "#1a7f37", "#8250df", "#cf222e")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Band:
    """A shaded range per label (the peers' 25th to 75th percentile) with its middle."""

    name: str
    low: Sequence[float | None]
    middle: Sequence[float | None]
    high: Sequence[float | None]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _top(known: Sequence[float], unit: str) -> float:
    """The axis's top: a round number over the data. Counts get at least 4, so that
    the five grid lines are whole numbers (0 to 4), never 0, 0, 0, 1, 1."""
    top = _nice_max(max(known, default=0.0))
    return top if unit == "%" else max(top, 4.0)


def _number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"


def _frame(
    labels: Sequence[str],
    top: float,
    unit: str,
    summary: str,
    x: Callable[[int, int], float] | None = None,
) -> list[str]:
    x = x or _x
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-label="{escape(summary)}">'
    ]
    for i in range(5):
        value = top * i / 4
        y = PAD_TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#57606a">{escape(_number(value, unit))}</text>'
        )
    # As many labels as fit side by side (about 6.5 px a character), evenly spaced.
    widest = max((len(label) for label in labels), default=1) * 6.5 + 10
    fits = max(1, int((WIDTH - PAD_LEFT - PAD_RIGHT) // widest))
    every = max(1, -(-len(labels) // fits))
    for index, label in enumerate(labels):
        if index % every == 0:
            # A label at an edge is anchored on it, so that none runs off the chart.
            at, half = x(index, len(labels)), len(label) * 3.25
            anchor = "end" if at + half > WIDTH else "start" if at - half < 0 else "middle"
            parts.append(
                f'<text x="{at:.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" '
                f'font-size="11" fill="#57606a">{escape(label)}</text>'
            )
    return parts


def _nothing_yet(parts: list[str], known: Sequence[float]) -> None:
    """Say so on a chart with no figure at all, rather than draw an empty grid."""
    if not known:
        parts.append(
            f'<text x="{(PAD_LEFT + WIDTH - PAD_RIGHT) / 2:.1f}" y="{HEIGHT / 2:.1f}" '
            'text-anchor="middle" font-size="13" fill="#57606a">No figures yet</text>'
        )


def _x(index: int, count: int) -> float:
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    if count <= 1:
        return PAD_LEFT + plot_w / 2
    return PAD_LEFT + plot_w * index / (count - 1)


def _y(value: float, top: float) -> float:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + plot_h - plot_h * (value / top)


def _path(values: Sequence[float | None], top: float, *, count: int | None = None) -> str:
    """Line segments through the known values; a None breaks the line. `count`: the
    chart's number of labels, when these values are only the first of them."""
    count = count or len(values)
    commands: list[str] = []
    pen_down = False
    for index, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        x, y = _x(index, count), _y(value, top)
        commands.append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    return " ".join(commands)


def _title(label: str, name: str, value: float, unit: str) -> str:
    shown = f"{value:.2f}%" if unit == "%" else f"{value:,.0f}"
    return f"<title>{escape(label)}, {escape(name)}: {escape(shown)}</title>"


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    summary: str,
    unit: str = "",
    band: Band | None = None,
    under_way: bool = False,
) -> str:
    """`under_way`: the last label is a period not over yet (this month so far)."""
    known = [v for s in series for v in s.values if v is not None]
    if band is not None:
        known += [v for v in band.high if v is not None]
    top = _top(known, unit)
    parts = _frame(labels, top, unit, summary)
    _nothing_yet(parts, known)
    if band is not None:
        parts += _band(band, top, len(labels))
    count = len(labels)
    for number, item in enumerate(series):
        colour, dash = COLOURS[number % len(COLOURS)], DASHES[number % len(DASHES)]
        whole = list(item.values[:-1]) if under_way else list(item.values)
        path = _path(whole, top, count=count)
        if path:
            parts.append(
                f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2.5"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
        before, now = (item.values[-2], item.values[-1]) if count > 1 else (None, None)
        if under_way and before is not None and now is not None:
            parts.append(
                f'<path d="M{_x(count - 2, count):.1f},{_y(before, top):.1f} '
                f'L{_x(count - 1, count):.1f},{_y(now, top):.1f}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="2 4"/>'
            )
        for index, value in enumerate(item.values):
            if value is None:
                continue
            hollow = under_way and index == count - 1
            parts.append(
                f'<circle cx="{_x(index, count):.1f}" cy="{_y(value, top):.1f}" '
                + (
                    f'r="4" fill="#fff" stroke="{colour}" stroke-width="2"'
                    if hollow
                    else f'r="3" fill="{colour}"'
                )
                + ' tabindex="0">'
                + _title(labels[index], item.name, value, unit)
                + "</circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _band(band: Band, top: float, count: int) -> list[str]:
    parts = []
    for index in range(count):
        low, high = band.low[index], band.high[index]
        if low is None or high is None:
            continue
        half = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(count - 1, 1) / 2
        x = _x(index, count)
        left, right = max(PAD_LEFT, x - half), min(WIDTH - PAD_RIGHT, x + half)
        y_high, y_low = _y(high, top), _y(low, top)
        parts.append(
            f'<rect x="{left:.1f}" y="{y_high:.1f}" width="{right - left:.1f}" '
            f'height="{max(y_low - y_high, 1):.1f}" fill="#d0d7de" opacity="0.7"/>'
        )
    middle = _path(band.middle, top)
    if middle:
        parts.append(f'<path d="{middle}" fill="none" stroke="#57606a" stroke-width="1.5"/>')
    return parts


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    summary: str,
    goal: float | None = None,
    unit: str = "",
) -> str:
    known = [v for v in values if v is not None] + ([goal] if goal is not None else [])
    top = _top(known, unit)
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    slot = plot_w / max(len(values), 1)

    def centre(index: int, count: int) -> float:
        return PAD_LEFT + slot * (index + 0.5)

    parts = _frame(labels, top, unit, summary, x=centre)
    for index, value in enumerate(values):
        if value is None:
            continue
        x = centre(index, len(values)) - slot * 0.35
        y = _y(value, top)
        met = goal is None or value >= goal
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{_y(0, top) - y:.1f}" fill="{COLOURS[0] if met else COLOURS[1]}" '
            f'tabindex="0">{_title(labels[index], "posts", value, unit)}</rect>'
        )
    if goal is not None:
        y = _y(goal, top)
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#cf222e" stroke-width="2" stroke-dasharray="6 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(names: Sequence[str], *, band: str = "") -> list[tuple[str, str, str]]:
    """(name, colour, dash) for each series, for the page's own legend."""
    items = [
        (name, COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]) for i, name in enumerate(names)
    ]
    if band:
        items.append((band, "#d0d7de", ""))
    return items
