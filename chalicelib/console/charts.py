"""The console's charts as plain SVG data, drawn on the server: axes, dates, values to show on hover or
focus, and the series a legend toggles. A page of them needs no chart library and no build step."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

# The day-by-day series: key, label, colour (contrast at least 3:1 on white, for lines and legend swatches).
SERIES: tuple[tuple[str, str, str], ...] = (
    ("orders", "Orders", "#1f6feb"),
    ("reviews", "Reviews", "#8250df"),
    ("shares", "Shares", "#9a6700"),
    ("clicks", "Clicks", "#1a7f37"),
    ("referred_orders", "Referred orders", "#cf222e"),
)
CHANNEL_BARS: tuple[tuple[str, str, str], ...] = (("shares", "Shares", "#9a6700"), ("clicks", "Clicks", "#1a7f37"))


def nice_ticks(top: float, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to a round value at or above `top`, at most `most` steps."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def short_date(day: str) -> str:
    parsed = date.fromisoformat(day)
    return f"{parsed.strftime('%b')} {parsed.day}"


def series_chart(series: list[dict[str, Any]], width: int = 640, height: int = 200) -> dict[str, Any]:
    """Lines of each daily series in plot coordinates (0,0 top left), y ticks, date labels and one hover/focus
    target per day carrying that day's values."""
    top = max((int(row.get(key, 0)) for row in series for key, _, _ in SERIES), default=0)
    ticks = nice_ticks(top)
    scale = height / ticks[-1]
    step = width / max(len(series) - 1, 1)

    def y(value: int) -> float:
        return round(height - value * scale, 1)

    lines = [
        {
            "key": key,
            "name": label,
            "colour": colour,
            "points": " ".join(f"{round(i * step, 1)},{y(int(row.get(key, 0)))}" for i, row in enumerate(series)),
        }
        for key, label, colour in SERIES
    ]
    every = max(1, math.ceil(len(series) / 6))
    days = []
    for i, row in enumerate(series):
        values = {key: int(row.get(key, 0)) for key, _, _ in SERIES}
        summary = ", ".join(f"{label} {values[key]}" for key, label, _ in SERIES)
        days.append(
            {
                "x": round(i * step, 1),
                "date": row["date"],
                "label": short_date(row["date"]),
                "counts": values,
                "summary": f"{short_date(row['date'])}: {summary}",
                "labelled": i % every == 0 or (i == len(series) - 1 and i % every > every // 2),
            }
        )
    return {
        "width": width,
        "height": height,
        "step": round(step, 1),
        "top": top,
        "lines": lines,
        "ticks": [{"value": t, "y": y(t)} for t in ticks],
        "days": days,
        "first": series[0]["date"] if series else "",
        "last": series[-1]["date"] if series else "",
    }


def channel_chart(funnel: dict[str, Any], width: int = 640, bar: int = 14) -> dict[str, Any]:
    """Shares and clicks by channel as paired horizontal bars, busiest channel first."""
    shares = dict(funnel.get("shares", {}).get("by_channel", {}) if isinstance(funnel.get("shares"), dict) else {})
    clicks = dict(funnel.get("clicks", {}).get("by_channel", {}) if isinstance(funnel.get("clicks"), dict) else {})
    names = sorted(set(shares) | set(clicks), key=lambda c: (-(shares.get(c, 0) + clicks.get(c, 0)), c))
    top = max([int(v) for v in (*shares.values(), *clicks.values())] or [0]) or 1
    label_width, plot = 110, width - 110 - 50
    rows = []
    for index, name in enumerate(names):
        values = {"shares": int(shares.get(name, 0)), "clicks": int(clicks.get(name, 0))}
        rows.append(
            {
                "channel": name,
                "y": index * (2 * bar + 14),
                "bars": [
                    {
                        "key": key,
                        "label": label,
                        "colour": colour,
                        "value": values[key],
                        "width": round(plot * values[key] / top, 1),
                        "y": n * bar,
                    }
                    for n, (key, label, colour) in enumerate(CHANNEL_BARS)
                ],
            }
        )
    return {
        "width": width,
        "height": max(len(rows), 1) * (2 * bar + 14),
        "label_width": label_width,
        "bar": bar,
        "rows": rows,
        "series": [{"key": k, "name": label, "colour": c} for k, label, c in CHANNEL_BARS],
    }
