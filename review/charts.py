"""Server-drawn SVG charts: geometry computed here, drawn by templates/review/_chart_*.html.

No chart library and no CDN: the app runs offline, and a few bars and one line
are plain SVG. Every chart is drawn beside a table holding the same figures,
which is what screen readers read (the SVG is hidden from them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

BAR_HEIGHT = 18
BAR_GAP = 8
LABEL_WIDTH = 160
BAR_SPACE = 220
LINE_WIDTH = 560
LINE_HEIGHT = 140


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float

    @property
    def text_x(self) -> float:
        return LABEL_WIDTH + self.width + 6

    @property
    def label_y(self) -> int:
        return self.y + BAR_HEIGHT - 5


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(items: list[tuple[str, float, str]]) -> BarChart:
    """Horizontal bars scaled to the largest value; each is labelled and says its value."""
    top = max((value for _, value, _ in items), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            text=text,
            y=index * (BAR_HEIGHT + BAR_GAP),
            width=round(BAR_SPACE * value / top, 1),
        )
        for index, (label, value, text) in enumerate(items)
    ]
    return BarChart(bars=bars, height=max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP))


@dataclass(frozen=True)
class LineChart:
    points: str  # SVG polyline points
    top: int
    first: datetime | None
    last: datetime | None
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT


def line_chart(series: list[tuple[datetime, int]]) -> LineChart:
    if not series:
        return LineChart(points="", top=0, first=None, last=None)
    top = max(value for _, value in series) or 1
    step = LINE_WIDTH / max(1, len(series) - 1)
    points = " ".join(
        f"{round(index * step, 1)},{round(LINE_HEIGHT - LINE_HEIGHT * value / top, 1)}"
        for index, (_, value) in enumerate(series)
    )
    return LineChart(points=points, top=top, first=series[0][0], last=series[-1][0])


def duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: no samples
        return "-"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
