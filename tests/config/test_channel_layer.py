"""The live hub keeps listening on Redis through idle spells.

channels-redis waits for a message with a blocking read of 5 seconds, and
redis-py 8 gives every read a 5-second timeout by default, so an idle receive
raises ``redis.exceptions.TimeoutError`` (``bench load`` found it closing idle
websockets). The hub treats that as "nothing yet": it keeps its channel and
group, wakes its feeds so that nothing popped as the read gave up is missed,
and a notification sent after the idle spell still arrives.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers, get_channel_layer
from django.conf import settings

from review.live.feeds import Hub
from review.live.groups import LIVE_GROUP, RUNS_CHANGED

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL"),
]


class _Woken:
    def __init__(self) -> None:
        self.times = 0

    def wake(self) -> None:
        self.times += 1


async def test_the_hub_hears_a_notification_sent_after_an_idle_spell(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A fresh layer for this test's event loop: channels-redis binds its receive lock to
    # the first loop that receives, and every test has a loop of its own.
    channel_layers.backends.pop(DEFAULT_CHANNEL_LAYER, None)
    hub = Hub()
    feed = _Woken()
    hub.runs["run-after-idle"] = feed
    listener = asyncio.create_task(hub._listen())
    try:
        for _ in range(100):
            if hub._channel is not None:
                break
            await asyncio.sleep(0.05)
        channel = hub._channel
        assert channel is not None, "the hub never joined the live group"
        with caplog.at_level(logging.WARNING, logger="review.live.feeds"):
            await asyncio.sleep(7)  # longer than the blocking read and redis-py's timeout
            woken_while_idle = feed.times
            layer = get_channel_layer()
            await layer.group_send(
                LIVE_GROUP, {"type": RUNS_CHANGED, "runs": {"run-after-idle": 1}}
            )
            for _ in range(100):
                if feed.times > woken_while_idle:
                    break
                await asyncio.sleep(0.05)
        assert feed.times > woken_while_idle, "the notification after the idle spell was lost"
        assert hub._channel == channel, "the hub left and re-joined instead of reading on"
        assert not caplog.records, [record.getMessage() for record in caplog.records]
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
