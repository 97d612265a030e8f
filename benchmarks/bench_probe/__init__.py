"""bench_probe: a helper integration loaded only into the benchmarks' own `hass` processes.

It adds one websocket command, `bench_probe/stats`, that reports what RSS alone cannot tell
apart from allocator noise: live Python objects (after a full collection), pymalloc blocks,
asyncio tasks and timer handles, event-bus listeners, states, and the sizes of
twilio_bridge's record log and timer table. It reads; it changes nothing.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

import voluptuous as vol
from homeassistant.components import websocket_api
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"


def _size(owner: Any, name: str) -> int | None:
    value = getattr(owner, name, None)
    return None if value is None else len(value)


@websocket_api.websocket_command({vol.Required("type"): "bench_probe/stats"})
@callback
def _stats(
    hass: HomeAssistant, connection: websocket_api.ActiveConnection, msg: dict[str, Any]
) -> None:
    gc.collect()
    loop = asyncio.get_running_loop()
    manager = getattr(hass.data.get("twilio_bridge"), "manager", None)
    connection.send_result(
        msg["id"],
        {
            "gc_objects": len(gc.get_objects()),
            "allocated_blocks": sys.getallocatedblocks(),
            "tasks": len(asyncio.all_tasks()),
            "timer_handles": len(getattr(loop, "_scheduled", ())),
            "bus_listeners": sum(hass.bus.async_listeners().values()),
            "states": len(hass.states.async_entity_ids()),
            "records": _size(manager, "_records"),
            # The timer table moved out of the manager (timers.py) in commit afcb5ec.
            "manager_timers": _size(getattr(manager, "timers", None), "_pending"),
        },
    )


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    websocket_api.async_register_command(hass, _stats)
    return True
