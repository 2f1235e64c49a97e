"""Users in each role, signed-in session cookies, and websocket connections through config.asgi."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client

from tests.workflows.flows import Number, add_one, approve, double, unique
from workflows.engine import Workflow, step


@pytest.fixture(autouse=True)
async def close_consumer_connections() -> AsyncIterator[None]:
    """Consumers query from asgiref's worker thread; close its connections so the
    test database can be dropped (PostgreSQL keeps them for CONN_MAX_AGE)."""
    yield
    await database_sync_to_async(connections.close_all)()


def make_user(username: str, *, group: str | None = None, staff: bool = False) -> User:
    user = User.objects.create_user(username, password=username, is_staff=staff)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def reviewer(db: None) -> User:
    return make_user("rita", group="Reviewers")


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("otto")


@pytest.fixture
def staff(db: None) -> User:
    return make_user("sam", staff=True)


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def ws_headers(
    user: User | None, *, origin: bytes = b"http://localhost"
) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", f"sessionid={session_cookie(user)}".encode()))
    return headers


@asynccontextmanager
async def connected(
    path: str, headers: list[tuple[bytes, bytes]]
) -> AsyncIterator[WebsocketCommunicator]:
    """A websocket through the whole ASGI stack (origin check, sessions, routing)."""
    from config.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    ok, code = await communicator.connect(timeout=5)
    assert ok, f"refused with {code}"
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def refused_with(path: str, headers: list[tuple[bytes, bytes]]) -> Any:
    from config.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    ok, code = await communicator.connect(timeout=5)
    if ok:
        await communicator.disconnect()
    return ok, code


async def receive_json(communicator: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    return json.loads(await communicator.receive_from(timeout=timeout))


@pytest.fixture
def review_flow() -> Workflow:
    """add_one, then a person approves, then double."""
    return (
        Workflow(unique("live-review"), input=Number, output=Number)
        .then(add_one)
        .then(approve)
        .then(double)
        .commit()
    )


@pytest.fixture
def fan_flow() -> Callable[[], Workflow]:
    def build() -> Workflow:
        branches = [
            step(lambda ctx: ctx.input, id=f"b{i}", input=Number, output=Number) for i in range(3)
        ]
        return Workflow(unique("live-fan"), input=Number).parallel(branches).commit()

    return build
