"""The Redis channel layer keeps an idle websocket's consumer alive.

channels-redis waits for a consumer's next message with a blocking read of 5
seconds; redis-py 8 gives every read a 5-second timeout by default, so an idle
consumer failed with ``TimeoutError`` and daphne closed its socket with 1011
(``bench load`` found it). The settings give reads a longer timeout.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL"),
]


async def test_a_consumer_waiting_longer_than_the_blocking_read_gets_its_message() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()

    async def send_later() -> None:
        await asyncio.sleep(7)
        await layer.send(channel, {"type": "news", "n": 1})

    sender = asyncio.create_task(send_later())
    message = await asyncio.wait_for(layer.receive(channel), timeout=20)
    await sender
    assert message == {"type": "news", "n": 1}
