"""A ``bench load`` watcher: one program following one run's JSON stream to its end.

It behaves as docs/live.md asks of clients: when the stream breaks it
reconnects with ``?after=<last event id>``, so it can still be checked for a
gap. Breaks are recorded, never hidden: a socket that closed abnormally after
opening is an error, and a handshake daphne refused (it refuses one that is
not accepted within 5 seconds) is counted on its own.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake

RUN_ENDED = {"success", "failed", "canceled"}
TERMINAL_EVENTS = {"run.completed", "run.failed", "run.canceled"}
RETRY_SECONDS = 0.5


@dataclass
class Watch:
    """What one websocket client saw of one run."""

    run_id: str
    state_event_id: int | None = None  # the first state's last event: the log is checked after it
    state_status: str = ""
    event_ids: list[int] = field(default_factory=list)
    last_type: str = ""
    refused: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.last_type in TERMINAL_EVENTS or self.state_status in RUN_ENDED

    @property
    def after(self) -> int | None:
        return self.event_ids[-1] if self.event_ids else self.state_event_id


async def follow(run_id: str, ws_url: str, origin: str, cookie: str) -> Watch:
    """Watch ``run_id`` until its end, reconnecting after a break; cancel to stop early."""
    watch = Watch(run_id)
    try:
        while not watch.ended:
            try:
                await _read(watch, ws_url, origin, cookie)
            except (InvalidHandshake, TimeoutError, OSError):
                watch.refused += 1
                await asyncio.sleep(RETRY_SECONDS)
            except ConnectionClosed as exc:
                watch.errors.append(f"closed before the run ended: {exc!r}")
                await asyncio.sleep(RETRY_SECONDS)
    except asyncio.CancelledError:
        watch.errors.append("still waiting for the run's end when the load stopped")
    except Exception as exc:
        watch.errors.append(repr(exc))
    return watch


async def _read(watch: Watch, ws_url: str, origin: str, cookie: str) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    url = f"{ws_url}/ws/runs/{watch.run_id}/events/"
    if watch.after is not None:
        url += f"?after={watch.after}"
    headers = {"Cookie": f"sessionid={cookie}"}
    async with connect(
        url, origin=Origin(origin), additional_headers=headers, open_timeout=60
    ) as ws:
        _state(watch, json.loads(await ws.recv()))
        while not watch.ended:
            event = json.loads(await ws.recv())["event"]
            watch.event_ids.append(int(event["id"]))
            watch.last_type = event["type"]


def _state(watch: Watch, message: dict[str, Any]) -> None:
    if message["type"] != "state":
        raise ValueError(f"the first message was {message['type']!r}, not the state")
    if watch.state_event_id is None:  # a reconnection's state is followed by the missed events
        watch.state_event_id = int(message["last_event_id"] or 0)
        watch.state_status = message["snapshot"]["status"]
