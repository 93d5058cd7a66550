"""Server-side SVG charts of the school pages: data in, an accessible <svg> out, no queries, no scripts.

The chart carries a title and a description (role="img"), its lines differ in dash pattern as well as colour,
and every page that shows one also shows the same numbers as a table (templates/schools/school.html).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
# 3:1 or more against white (WCAG 2.1 non-text contrast); told apart by dashes too.
DOWN_COLOUR, UP_COLOUR, BENCHMARK_COLOUR, CONTRACT_COLOUR = "#0b4f9c", "#1a7f37", "#b3261e", "#4a5360"


@dataclass(frozen=True)
class DayPoint:
    day: date
    down: float
    up: float


def _nice_step(span: float, ticks: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten that gives about ``ticks`` intervals."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _segments(points: Sequence[DayPoint], value, x, y) -> list[str]:
    """Polyline point lists, broken where a day is missing (a gap is drawn as a gap, not a straight line)."""
    segments, current, previous = [], [], None
    for point in points:
        if previous is not None and (point.day - previous).days > 1:
            segments.append(current)
            current = []
        current.append(f"{x(point.day):.1f},{y(value(point)):.1f}")
        previous = point.day
    if current:
        segments.append(current)
    return [" ".join(s) for s in segments]


def measurement_chart(
    *, points: Sequence[DayPoint], first: date, last: date, required: float | None, contracted: float | None,
    title: str, chart_id: str = "measurement-chart",
) -> SafeString:  # fmt: skip
    """Daily median download and upload from ``first`` to ``last`` with the benchmark and the contract as lines."""
    top_value = max([p.down for p in points] + [p.up for p in points] + [required or 0, contracted or 0, 1.0])
    step = _nice_step(top_value * 1.05)
    y_max = step * math.ceil(top_value * 1.05 / step)
    span_days = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span_days

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_max)

    parts = [
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(_description(points, required, contracted))}</desc>',
    ]
    value = 0.0
    while value <= y_max + 1e-9:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{escape(number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True))}</text>"
        )
        value += step
    parts.append(
        f'<text class="axis-label" x="12" y="{TOP + plot_h / 2:.0f}" transform="rotate(-90 12 {TOP + plot_h / 2:.0f})"'
        f' text-anchor="middle">{escape(_("Mbit/s"))}</text>'
    )
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            parts.append(
                f'<line class="grid" x1="{x(month):.1f}" x2="{x(month):.1f}" y1="{TOP}" y2="{TOP + plot_h}"/>'
                f'<text class="tick" x="{x(month):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(date_format(month, 'M Y'))}</text>"
            )
        month = (month + timedelta(days=32)).replace(day=1)
    for level, css, colour, dash in (
        (required, "benchmark", BENCHMARK_COLOUR, "10 5"),
        (contracted, "contract", CONTRACT_COLOUR, "2 4"),
    ):
        if level:
            parts.append(
                f'<line class="{css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}"/>'
            )
    for css, colour, dash, get in (
        ("down", DOWN_COLOUR, "", lambda p: p.down),
        ("up", UP_COLOUR, ' stroke-dasharray="6 3"', lambda p: p.up),
    ):
        for segment in _segments(points, get, x, y):
            parts.append(
                f'<polyline class="series-{css}" fill="none" stroke="{colour}" stroke-width="2"{dash}'
                f' points="{segment}"/>'
            )
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/></svg>')
    # Every value above is a number or escaped text.
    return mark_safe("".join(parts))  # noqa: S308


def _description(points: Sequence[DayPoint], required: float | None, contracted: float | None) -> str:
    if not points:
        return _("No measurements in this period.")
    downs = sorted(p.down for p in points)
    text = _(
        "Median download per day on %(days)s days, from %(low)s to %(high)s Mbit/s (typically %(median)s Mbit/s)."
    ) % {
        "days": len(points),
        "low": number_format(downs[0], 0),
        "high": number_format(downs[-1], 0),
        "median": number_format(downs[len(downs) // 2], 0),
    }
    if required:
        text += " " + _("Benchmark: %(value)s Mbit/s.") % {"value": number_format(required, 0)}
    if contracted:
        text += " " + _("Contracted: %(value)s Mbit/s.") % {"value": number_format(contracted, 0)}
    return text
