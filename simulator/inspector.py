"""The inspector page at /_sim/: each call drawn as a timeline of its legs, and each
conference room with its participants, announcements and fee."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

COLORS = {
    "queued": "#bbb",
    "initiated": "#bbb",
    "ringing": "#f5c242",
    "in-progress": "#4caf50",
    "bridged": "#2e7d32",
    "whisper": "#7b1fa2",
    "completed": "#607d8b",
    "busy": "#e53935",
    "no-answer": "#fb8c00",
    "failed": "#b71c1c",
    "canceled": "#9e9e9e",
    "init": "#f5c242",
    "in-room": "#00897b",
}
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}


@dataclass(frozen=True)
class Window:
    """The simulated seconds the page draws: from the first call shown to now.

    Not from the clock's zero: a simulator that ran for a day before a call would draw
    that call as a sliver at the right edge.
    """

    start: float
    end: float

    @classmethod
    def of(cls, data: dict[str, Any]) -> Window:
        now = float(data.get("now", 0.0))
        firsts = [
            timeline[0]["at"]
            for item in [*data.get("calls", []), *data.get("conferences", [])]
            if (timeline := item.get("timeline"))
        ]
        start = min(firsts, default=0.0)
        return cls(start, max(now, start + 1.0))

    @property
    def span(self) -> float:
        return self.end - self.start

    def left(self, at: float) -> float:
        """Where `at` stands, in per cent of the bar."""
        return 100 * (at - self.start) / self.span


def render_page(data: dict[str, Any]) -> str:
    calls: list[dict[str, Any]] = data.get("calls", [])
    end = Window.of(data)
    rows = []
    for call in calls:
        rows.append(_row(call, end))
    body = _axis(end) + ("\n".join(rows) or "<p>No calls yet.</p>")
    body += _conferences(data.get("conferences", []), end)
    when = html.escape(str(data.get("time", "")))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Twilio simulator</title>
<style>
body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}
.leg{{margin:.6em 0}} .bar{{position:relative;height:22px;background:#f4f4f4;border-radius:4px}}
.seg{{position:absolute;top:0;height:22px;border-radius:3px;font-size:11px;color:#fff;
overflow:hidden;white-space:nowrap;padding-left:3px;box-sizing:border-box}}
.meta{{font-size:12px;color:#555}} .child .meta{{margin-left:2em}}
.axis{{position:relative;height:16px;font-size:11px;color:#777;border-bottom:1px solid #ccc;
white-space:nowrap;
margin:.8em 0 .4em}}
.tick{{position:absolute;top:-2px;width:2px;height:26px;background:#1565c0}}
.tick.say{{background:#e65100;width:4px}} .conference{{margin:1em 0;padding-top:.3em;
border-top:1px solid #ddd}} .conference ul{{margin:.2em 0;font-size:12px}}
</style></head><body>
<h1>Twilio simulator</h1>
<p class="meta">Simulated time {data.get("now", 0):.1f} s ({when}),
{len(calls)} legs, {data.get("dropped_callbacks", 0)} callbacks dropped.
Blue ticks are webhook requests, orange ones announcements. <a href="/_sim/calls">JSON</a></p>
{body}
</body></html>"""


def _axis(window: Window) -> str:
    """A scale of simulated seconds (the clock's) above the bars, at a round step."""
    steps = (1, 5, 10, 30, 60, 300, 600, 1800, 3600)
    step = next((s for s in steps if window.span / s <= 12), 7200)
    first = -(-int(window.start) // step) * step  # the first round second in the window
    marks = "".join(
        f'<span style="position:absolute;left:{window.left(t):.2f}%">{t} s</span>'
        for t in range(first, int(window.end) + 1, step)
        if window.left(t) <= 94  # a label at the very edge would wrap under the bar
    )
    return f'<div class="axis">{marks}</div>'


def _span(status: str, start: float, stop: float, end: Window) -> str:
    # Clamped so a status reached at the very end still shows inside the bar.
    width = max(0.5, 100 * (stop - start) / end.span)
    left = min(end.left(start), 100 - width)
    color = COLORS.get(status, "#999")
    text = html.escape(status)
    return (
        f'<div class="seg" style="left:{left:.2f}%;width:{width:.2f}%;background:{color}"'
        f' title="{text} at {start:.1f} s">{text}</div>'
    )


def _segments(timeline: list[dict[str, Any]], end: Window) -> list[str]:
    """One coloured segment per status, from when it began to the next status."""
    segments = []
    for index, point in enumerate(timeline):
        start = point["at"]
        stop = timeline[index + 1]["at"] if index + 1 < len(timeline) else end.end
        if point["status"] in TERMINAL:
            stop = start + end.span * 0.01
        segments.append(_span(point["status"], start, stop, end))
    return segments


def _ticks(exchanges: list[dict[str, Any]], end: Window) -> list[str]:
    ticks = []
    for exchange in exchanges:
        left = end.left(exchange["at"])
        label = html.escape(f"{exchange['kind']} {exchange['status']} at {exchange['at']:.1f} s")
        ticks.append(f'<div class="tick" style="left:{left:.2f}%" title="{label}"></div>')
    return ticks


def _row(call: dict[str, Any], end: Window) -> str:
    segments = _segments(call.get("timeline", []), end)
    segments += _ticks(call.get("exchanges", []), end)
    css = "leg child" if call.get("parent_call_sid") else "leg"
    price = call.get("price")
    # An inbound call is drawn from the caller's side: who called which owned number.
    party = (
        f"← {html.escape(str(call['from']))} to {html.escape(call['to'])}"
        if call["direction"] == "inbound"
        else f"→ {html.escape(call['to'])}"
    )
    meta = (
        f"{html.escape(call['sid'])} {party} · {call['direction']} · "
        f"{call['status']} · {call.get('duration') or 0} s · "
        f"{html.escape(str(price))} {html.escape(str(call.get('price_unit', '')))}"
    )
    return (
        f'<div class="{css}"><div class="meta">{meta}</div>'
        f'<div class="bar">{"".join(segments)}</div></div>'
    )


def _conferences(rooms: list[dict[str, Any]], end: Window) -> str:
    if not rooms:
        return ""
    return "\n<h2>Conferences</h2>\n" + "\n".join(_room(room, end) for room in rooms)


def _room(room: dict[str, Any], end: Window) -> str:
    """The room's status bar (callback ticks, announcements in orange), one bar per
    participant for its time in the room, and the announcements as said."""
    segments = _segments(room.get("timeline", []), end)
    segments += _ticks(room.get("exchanges", []), end)
    for announcement in room.get("announcements", []):
        left = end.left(announcement["at"])
        title = html.escape(" ".join(announcement.get("said", [])) or announcement["url"])
        segments.append(f'<div class="tick say" style="left:{left:.2f}%" title="{title}"></div>')
    reason = room.get("reason_conference_ended")
    meta = (
        f"{html.escape(room['sid'])} · {html.escape(str(room['friendly_name']))} · "
        f"{html.escape(room['status'])}{f' ({html.escape(reason)})' if reason else ''} · "
        f"fee {html.escape(str(room.get('fee')))} {html.escape(str(room.get('fee_unit', '')))}"
    )
    parts = [
        f'<div class="conference"><div class="meta">{meta}</div>',
        f'<div class="bar">{"".join(segments)}</div>',
    ]
    for participant in room.get("participants", []):
        parts.append(_participant(participant, end))
    said = [_announcement(a) for a in room.get("announcements", [])]
    if said:
        parts.append(f"<ul>{''.join(said)}</ul>")
    parts.append("</div>")
    return "".join(parts)


def _participant(participant: dict[str, Any], end: Window) -> str:
    start = participant["joined_at"]
    stop = participant["left_at"] if participant["left_at"] is not None else end.end
    label = participant.get("label")
    flags = [name for name in ("muted", "hold") if participant.get(name)]
    meta = html.escape(participant["call_sid"])
    if label:
        meta += f" ({html.escape(label)})"
    meta += f" · {participant['seconds']:.0f} s in the room"
    if flags:
        meta += " · " + ", ".join(flags)
    return (
        f'<div class="leg child"><div class="meta">{meta}</div>'
        f'<div class="bar">{_span("in-room", start, stop, end)}</div></div>'
    )


def _announcement(announcement: dict[str, Any]) -> str:
    heard = ", ".join(announcement.get("heard_by", []))
    if announcement.get("error"):
        what = f"failed: {announcement['error']}"
    else:
        what = "“" + " ".join(announcement.get("said", [])) + "”"
    return (
        f"<li>at {announcement['at']:.1f} s, {html.escape(announcement['url'])} to "
        f"{html.escape(heard)}: {html.escape(what)}</li>"
    )
