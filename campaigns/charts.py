"""Server-drawn progress graphics for the admin: a stacked bar per campaign and an SVG chart over time.

No JavaScript and no CDN: plain HTML/CSS and inline SVG, readable without colour (each part is labelled).
"""

from datetime import date, datetime

from django.utils.html import format_html, format_html_join

from campaigns.selectors import CampaignProgress

STAGE_COLOURS = {
    "identified": "#a0aec0",
    "contacted": "#63b3ed",
    "engaged": "#f6ad55",
    "committed": "#0b6e4f",
    "declined": "#c53030",
}


def stacked_bar(progress: CampaignProgress) -> str:
    """One bar split by stage, with a text equivalent for screen readers and for printing."""
    if not progress.total:
        return format_html('<span style="color:#4a5568">{}</span>', "No targets yet")
    summary = ", ".join(f"{s.label}: {s.count}" for s in progress.stages if s.count)
    parts = format_html_join(
        "",
        '<span title="{}: {}" style="display:inline-block;height:100%;width:{}%;background:{}"></span>',
        ((s.label, s.count, f"{s.percent:.3f}", STAGE_COLOURS[s.stage]) for s in progress.stages if s.count),
    )
    return format_html(
        '<div role="img" aria-label="{}" title="{}" style="display:flex;width:120px;height:14px;'
        'border-radius:3px;overflow:hidden;background:#edf2f7">{}</div>',
        summary,
        summary,
        parts,
    )


def stage_bars(progress: CampaignProgress) -> str:
    """A labelled bar per stage (share of all targets)."""
    rows = format_html_join(
        "",
        '<tr><th scope="row" style="text-align:left;padding-right:8px">{}</th><td style="width:260px">'
        '<div style="background:#edf2f7;height:12px;border-radius:3px;overflow:hidden">'
        '<div style="width:{}%;height:100%;background:{}"></div></div></td>'
        '<td style="padding-left:8px">{} ({}%)</td></tr>',
        (
            (s.label, f"{s.percent:.3f}", STAGE_COLOURS[s.stage], s.count, f"{s.percent:g}")
            for s in progress.stages
        ),
    )
    return format_html('<table class="campaign-stages">{}</table>', rows)


def committed_chart(
    *, points: list[tuple[datetime, int]], total: int, start: date, deadline: date, today: date
) -> str:
    """An SVG step chart of targets committed over time, from the start to the deadline (or today)."""
    width, height, pad_l, pad_b, pad_t, pad_r = 560, 200, 36, 28, 12, 12
    end = max(deadline, min(today, max((p[0].date() for p in points), default=deadline)))
    span = max(1, (end - start).days)
    top = max(1, total)

    def x(day: date) -> float:
        return pad_l + (width - pad_l - pad_r) * max(0, min(span, (day - start).days)) / span

    def y(n: int) -> float:
        return height - pad_b - (height - pad_b - pad_t) * n / top

    path, last = [f"M{x(start):.1f},{y(0):.1f}"], 0
    for at, n in points:
        px = x(at.date())
        path.append(f"L{px:.1f},{y(last):.1f} L{px:.1f},{y(n):.1f}")
        last = n
    path.append(f"L{x(min(today, end)):.1f},{y(last):.1f}")
    dx = x(deadline)
    label = f"Targets committed over time: {last} of {total} by {min(today, end):%d %b %Y}"
    return format_html(
        '<svg role="img" aria-label="{label}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'xmlns="http://www.w3.org/2000/svg" style="font:11px sans-serif;background:#fff">'
        "<title>{label}</title>"
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="#4a5568"/>'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="#4a5568"/>'
        '<line x1="{l}" y1="{ytot}" x2="{r}" y2="{ytot}" stroke="#cbd5e0" stroke-dasharray="4 3"/>'
        '<text x="4" y="{ytot_t}">{total}</text><text x="4" y="{b}">0</text>'
        '<line x1="{dx}" y1="{t}" x2="{dx}" y2="{b}" stroke="#c53030" stroke-dasharray="3 3"/>'
        '<text x="{dx_t}" y="{t_t}" fill="#c53030" text-anchor="end">deadline {deadline}</text>'
        '<path d="{path}" fill="none" stroke="#0b6e4f" stroke-width="2.5"/>'
        '<text x="{l}" y="{lab_y}">{start}</text><text x="{r}" y="{lab_y}" text-anchor="end">{end}</text>'
        "</svg>",
        label=label,
        w=width,
        h=height,
        l=pad_l,
        r=width - pad_r,
        t=pad_t,
        b=height - pad_b,
        ytot=f"{y(top):.1f}",
        ytot_t=f"{y(top) + 4:.1f}",
        total=total,
        dx=f"{dx:.1f}",
        dx_t=f"{dx - 3:.1f}",
        t_t=pad_t + 10,
        deadline=f"{deadline:%d %b %Y}",
        path=" ".join(path),
        lab_y=height - 8,
        start=f"{start:%d %b %Y}",
        end=f"{end:%d %b %Y}",
    )
