"""Inline-SVG charts of a credit report (the portal and WeasyPrint draw the same markup).
Pure: series in, SVG text out; labels are passed in already translated and escaped here."""
from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

W, H, PAD = 560, 200, 36
INK, GRID, GOOD, BAD, ACCENT = "#1f2933", "#d9e2ec", "#2f9e44", "#e03131", "#1c7ed6"


def _svg(body: str, title: str, height: int = H) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" '
                  f'role="img" aria-label="{escape(title)}" class="chart">'
                  f'<rect width="{W}" height="{height}" fill="#ffffff"/>{body}</svg>')


def _axes(y_labels: list[tuple[float, str]], height: int = H) -> str:
    out = []
    for frac, label in y_labels:
        y = height - PAD - frac * (height - 2 * PAD)
        out.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - 10}" y2="{y:.1f}" stroke="{GRID}" stroke-width="1"/>'
                   f'<text x="{PAD - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" fill="{INK}">{escape(label)}</text>')
    return "".join(out)


def oee_trend(points: list[tuple[date, float]], title: str, empty: str) -> Markup:
    """Daily OEE (0..1) as a line, with its 90-day mean dashed."""
    if not points:
        return _svg(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" font-size="13" fill="{INK}">{escape(empty)}</text>', title)
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def xy(d: date, v: float) -> tuple[float, float]:
        return (PAD + (d - first).days / span * (W - PAD - 12), H - PAD - v * (H - 2 * PAD))

    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy(d, v) for d, v in points))
    mean = sum(v for _, v in points) / len(points)
    _, my = xy(first, mean)
    body = (_axes([(0, "0%"), (0.25, "25%"), (0.5, "50%"), (0.75, "75%"), (1, "100%")]) +
            f'<path d="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>'
            f'<line x1="{PAD}" y1="{my:.1f}" x2="{W - 10}" y2="{my:.1f}" stroke="{INK}" stroke-dasharray="4 3"/>'
            f'<text x="{PAD}" y="{H - 10}" font-size="10" fill="{INK}">{first.isoformat()}</text>'
            f'<text x="{W - 10}" y="{H - 10}" font-size="10" text-anchor="end" fill="{INK}">{last.isoformat()}</text>')
    return _svg(body, title)


def _heat(v: float) -> str:
    # white -> blue by share
    v = min(max(v, 0.0), 1.0)
    r, g, b = (int(255 - (255 - c) * v) for c in (28, 126, 214))
    return f"rgb({r},{g},{b})"


def utilization_heatmap(days: dict[date, float], end: date, weeks: int, title: str, weekday_labels: list[str]) -> Markup:
    """Calendar heatmap: one column per week, one row per weekday, shade = share of the
    planned time the machines ran that day (grey: nothing planned)."""
    cell, left, top = 15, 40, 14
    start = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)
    height = top + 7 * cell + 30
    out = []
    for i, label in enumerate(weekday_labels):
        out.append(f'<text x="{left - 4}" y="{top + i * cell + 11}" font-size="9" text-anchor="end" fill="{INK}">{escape(label)}</text>')
    for w in range(weeks):
        for wd in range(7):
            d = start + timedelta(weeks=w, days=wd)
            if d > end:
                continue
            v = days.get(d)
            fill = "#eceff1" if v is None else _heat(v)
            out.append(f'<rect x="{left + w * cell}" y="{top + wd * cell}" width="{cell - 2}" height="{cell - 2}" '
                       f'fill="{fill}"><title>{d.isoformat()}: {"-" if v is None else f"{v:.0%}"}</title></rect>')
    out.append(f'<text x="{left}" y="{height - 8}" font-size="10" fill="{INK}">{start.isoformat()}</text>')
    out.append(f'<text x="{left + weeks * cell}" y="{height - 8}" font-size="10" text-anchor="end" fill="{INK}">{end.isoformat()}</text>')
    return _svg("".join(out), title, height)


def deliveries_by_month(months: list[tuple[str, int, int]], title: str, empty: str, legend: tuple[str, str]) -> Markup:
    """Stacked bars per month: on time (green) and late (red)."""
    if not months:
        return _svg(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" font-size="13" fill="{INK}">{escape(empty)}</text>', title)
    top = max(on + late for _, on, late in months) or 1
    slot = (W - PAD - 12) / len(months)
    out = [_axes([(0, "0"), (1, str(top))])]
    for i, (label, on, late) in enumerate(months):
        x = PAD + i * slot + slot * 0.15
        bw = slot * 0.7
        h_on = on / top * (H - 2 * PAD)
        h_late = late / top * (H - 2 * PAD)
        y_on = H - PAD - h_on
        out.append(f'<rect x="{x:.1f}" y="{y_on:.1f}" width="{bw:.1f}" height="{h_on:.1f}" fill="{GOOD}"/>')
        out.append(f'<rect x="{x:.1f}" y="{y_on - h_late:.1f}" width="{bw:.1f}" height="{h_late:.1f}" fill="{BAD}"/>')
        out.append(f'<text x="{x + bw / 2:.1f}" y="{H - PAD + 14}" font-size="10" text-anchor="middle" fill="{INK}">{escape(label)}</text>')
    out.append(f'<rect x="{W - 150}" y="8" width="10" height="10" fill="{GOOD}"/><text x="{W - 136}" y="17" font-size="10" fill="{INK}">{escape(legend[0])}</text>'
               f'<rect x="{W - 80}" y="8" width="10" height="10" fill="{BAD}"/><text x="{W - 66}" y="17" font-size="10" fill="{INK}">{escape(legend[1])}</text>')
    return _svg("".join(out), title)


def peer_position(rows: list[tuple[str, int | None]], title: str) -> Markup:
    """One bar per feature: the share of peers this factory does better than (0..100)."""
    row_h, left = 18, 300
    height = 24 + row_h * len(rows) + 10
    out = []
    for pct, x in ((0, left), (50, left + (W - left - 20) / 2), (100, W - 20)):
        out.append(f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height - 6}" stroke="{GRID}"/>'
                   f'<text x="{x:.1f}" y="11" font-size="9" text-anchor="middle" fill="{INK}">{pct}%</text>')
    for i, (label, pct) in enumerate(rows):
        y = 20 + i * row_h
        out.append(f'<text x="{left - 6}" y="{y + 11}" font-size="10" text-anchor="end" fill="{INK}">{escape(label)}</text>')
        if pct is not None:
            bw = pct / 100 * (W - left - 20)
            color = GOOD if pct >= 50 else BAD
            out.append(f'<rect x="{left}" y="{y + 2}" width="{max(bw, 1.5):.1f}" height="{row_h - 6}" fill="{color}"/>')
    return _svg("".join(out), title, height)


# --- the same series for the portal's interactive charts (static/charts.js draws them) --------

def oee_spec(points: list[tuple[date, float]], name: str, mean_name: str) -> dict | None:
    """Daily OEE as a zoomable line with its mean dashed; None when there is nothing to draw."""
    if not points:
        return None
    mean = round(sum(v for _, v in points) / len(points), 4)
    return {"kind": "cartesian", "percent": True, "zoom": len(points) > 14, "legend": True, "height": 280,
            "categories": [d.isoformat() for d, _ in points],
            "series": [{"name": name, "type": "line", "color": ACCENT, "data": [round(v, 4) for _, v in points]},
                       {"name": mean_name, "type": "line", "color": INK, "dashed": True, "data": [mean] * len(points)}]}


def heatmap_spec(days: dict[date, float], end: date, weeks: int, weekday_labels: list[str]) -> dict:
    """The calendar heatmap's cells: x = week (its Monday), y = weekday; days with nothing
    planned have no cell (the grey of the drawing)."""
    start = end - timedelta(days=end.weekday()) - timedelta(weeks=weeks - 1)
    cells = []
    for w in range(weeks):
        for wd in range(7):
            d = start + timedelta(weeks=w, days=wd)
            if d <= end and d in days:
                cells.append([w, wd, round(min(max(days[d], 0.0), 1.0), 3)])
    return {"kind": "heatmap", "percent": True, "digits": 0, "height": 330, "color": ACCENT,
            "x": [(start + timedelta(weeks=w)).strftime("%m-%d") for w in range(weeks)], "y": weekday_labels, "cells": cells}


def deliveries_spec(months: list[tuple[str, int, int]], legend: tuple[str, str]) -> dict | None:
    if not months:
        return None
    return {"kind": "cartesian", "digits": 0, "height": 260, "zoom": len(months) > 12, "categories": [m for m, _, _ in months],
            "series": [{"name": legend[0], "stack": "n", "color": GOOD, "data": [on for _, on, _ in months]},
                       {"name": legend[1], "stack": "n", "color": BAD, "data": [late for _, _, late in months]}]}


def peers_spec(rows: list[tuple[str, int | None]], name: str) -> dict:
    """Percentile among peers per feature, as horizontal bars (0..100 %)."""
    return {"kind": "cartesian", "horizontal": True, "percent": True, "digits": 0, "legend": False,
            "height": 60 + 26 * len(rows), "categories": [label for label, _ in rows],
            "series": [{"name": name, "data": [None if p is None else {"value": p / 100, "itemStyle": {"color": GOOD if p >= 50 else BAD}}
                                               for _, p in rows]}]}
