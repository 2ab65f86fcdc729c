"""Server-drawn SVG charts: no JavaScript, no CDN, readable without colour thanks to labels and a table.

Every chart comes with its data as a table in the template (``<details>``), which is the text alternative.
"""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#0b6e4f", "#14213d", "#f4a261", "#2a9d8f", "#e76f51", "#6d597a", "#8ab17d", "#264653", "#b5838d"]


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]


def bar_chart(
    *, labels: list[str], values: list[float], title: str, width: int = 560, bar_height: int = 22
) -> SafeString:
    """Horizontal bars, one per label, with the value written at the end of each bar."""
    top = max(values, default=0) or 1
    label_w = min(220, 8 * max((len(label) for label in labels), default=4) + 10)
    height = bar_height * len(labels) + 10
    parts = [
        f'<svg class="svg-chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    span = width - label_w - 60
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * bar_height
        w = max(1.0, span * value / top) if value else 0
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.65:.1f}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_height - 6}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height * 0.65:.1f}" font-size="12">'
            f"{_fmt(value)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text piece above is escaped


def line_chart(
    *, labels: list[str], series: list[Series], title: str, width: int = 560, height: int = 220
) -> SafeString:
    """Lines over a shared x axis (e.g. months), with a legend and y-axis ticks."""
    top = max((v for s in series for v in s.values), default=0) or 1
    left, right, bottom, upper = 40, 10, 30, 10
    plot_w, plot_h = width - left - right, height - bottom - upper
    n = max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, upper + plot_h * (1 - v / top)

    parts = [
        f'<svg class="svg-chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height + 20 * len(series)}" width="100%" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" '
        'stroke="#8a9a94"/>',
    ]
    for tick in (0, top / 2, top):
        _, y = xy(0, tick)
        parts.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{_fmt(tick)}</text>'
        )
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        x, _ = xy(i, 0)
        parts.append(
            f'<text x="{x:.1f}" y="{upper + plot_h + 16}" text-anchor="middle" font-size="12">'
            f"{escape(labels[i])}</text>"
        )
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s.values)))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        ly = height + 20 * k + 4
        parts.append(
            f'<rect x="{left}" y="{ly}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + 18}" y="{ly + 10}" font-size="12">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text piece above is escaped


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
