"""Websocket query strings, generated: refused with a 44xx close code or served, never 1011."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.properties.conftest import counted, scaled
from tests.properties.strategies import query_values
from tests.review.conftest import session_cookie
from tests.workflows.flows import add_one, approve, chain
from workflows.engine.testing import run_workflow

pytestmark = pytest.mark.django_db(transaction=True)

REFUSALS = {4400, 4401, 4404}


async def handshake(path: str, query: str, cookie: str) -> tuple[bool, int | None, str]:
    from config.asgi import application

    headers = [
        (b"origin", b"http://localhost"),
        (b"host", b"localhost"),
        (b"cookie", f"sessionid={cookie}".encode()),
    ]
    communicator = WebsocketCommunicator(application, f"{path}?{query}", headers=headers)
    ok, code = await communicator.connect(timeout=10)
    first = ""
    if ok:
        first = await communicator.receive_from(timeout=10)
        await communicator.disconnect()
    return ok, code, first


def test_websocket_query_strings(admin_user: User) -> None:
    run = run_workflow(chain("p-ws", add_one, approve), {"n": 1})
    cookie = session_cookie(admin_user)
    paths = [
        f"/ws/runs/{run.pk}/events/",
        f"/ws/runs/{run.pk}/",
        "/ws/runs/",
        "/ws/dashboard/",
        "/ws/runs/00000000-0000-0000-0000-000000000000/events/",
    ]
    raw = st.text(st.characters(exclude_categories=("Cs",)), max_size=40).map(
        lambda text: quote(text, safe="=&;%+")
    )
    pairs = st.lists(
        st.tuples(st.sampled_from(["after", "x", "after[]", ""]), query_values), max_size=3
    ).map(lambda items: "&".join(f"{quote(k)}={quote(v)}" for k, v in items))

    @settings(max_examples=scaled(150))
    @given(path=st.sampled_from(paths), query=raw | pairs)
    def check(path: str, query: str) -> None:
        ok, code, first = async_to_sync(handshake)(path, query, cookie)
        if ok:
            assert first, "an accepted stream sends its state first"
        else:
            assert code in REFUSALS, code
        counted("websocket: query strings", not ok)

    check()
