"""The inspector page at /_sim/: each call drawn as a timeline of its legs."""

from __future__ import annotations

import html
from typing import Any

COLORS = {
    "queued": "#bbb",
    "initiated": "#bbb",
    "ringing": "#f5c242",
    "in-progress": "#4caf50",
    "bridged": "#2e7d32",
    "completed": "#607d8b",
    "busy": "#e53935",
    "no-answer": "#fb8c00",
    "failed": "#b71c1c",
    "canceled": "#9e9e9e",
}


def render_page(data: dict[str, Any]) -> str:
    calls: list[dict[str, Any]] = data.get("calls", [])
    end = max([data.get("now", 0.0), 1.0])
    rows = []
    for call in calls:
        rows.append(_row(call, end))
    body = "\n".join(rows) or "<p>No calls yet.</p>"
    when = html.escape(str(data.get("time", "")))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Twilio simulator</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}
.leg{{margin:.6em 0}} .bar{{position:relative;height:22px;background:#f4f4f4;border-radius:4px}}
.seg{{position:absolute;top:0;height:22px;border-radius:3px;font-size:11px;color:#fff;
overflow:hidden;white-space:nowrap;padding-left:3px;box-sizing:border-box}}
.meta{{font-size:12px;color:#555}} .child{{margin-left:2em}}
.tick{{position:absolute;top:-2px;width:2px;height:26px;background:#1565c0}}
</style></head><body>
<h1>Twilio simulator</h1>
<p class="meta">Simulated time {data.get("now", 0):.1f} s ({when}),
{len(calls)} legs, {data.get("dropped_callbacks", 0)} callbacks dropped.
Blue ticks are webhook requests. <a href="/_sim/calls">JSON</a></p>
{body}
</body></html>"""


def _row(call: dict[str, Any], end: float) -> str:
    timeline: list[dict[str, Any]] = call.get("timeline", [])
    segments = []
    for index, point in enumerate(timeline):
        start = point["at"]
        stop = timeline[index + 1]["at"] if index + 1 < len(timeline) else end
        if point["status"] in {"completed", "busy", "no-answer", "failed", "canceled"}:
            stop = start + end * 0.01
        left, width = 100 * start / end, max(0.5, 100 * (stop - start) / end)
        color = COLORS.get(point["status"], "#999")
        segments.append(
            f'<div class="seg" style="left:{left:.2f}%;width:{width:.2f}%;background:{color}"'
            f' title="{point["status"]} at {start:.1f} s">{html.escape(point["status"])}</div>'
        )
    for exchange in call.get("exchanges", []):
        left = 100 * exchange["at"] / end
        label = html.escape(f"{exchange['kind']} {exchange['status']} at {exchange['at']:.1f} s")
        segments.append(f'<div class="tick" style="left:{left:.2f}%" title="{label}"></div>')
    css = "leg child" if call.get("parent_call_sid") else "leg"
    price = call.get("price")
    meta = (
        f"{html.escape(call['sid'])} → {html.escape(call['to'])} · {call['direction']} · "
        f"{call['status']} · {call.get('duration') or 0} s · "
        f"{html.escape(str(price))} {html.escape(str(call.get('price_unit', '')))}"
    )
    return (
        f'<div class="{css}"><div class="meta">{meta}</div>'
        f'<div class="bar">{"".join(segments)}</div></div>'
    )
