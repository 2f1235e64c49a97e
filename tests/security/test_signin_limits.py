"""Failed sign-ins are limited per username and address, on the app's page and the admin's.

With the defaults (HANDOFF_LOGIN_FAILURE_LIMIT=5, HANDOFF_LOGIN_COOLOFF_MINUTES=15)
five wrong passwords lock that username from that address: the next attempt is
refused with 429 and a message even with the right password, until the cool-off
has passed since the last failure. Counts are kept by django-axes in the database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connections
from django.test import AsyncClient, Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture
def people(db: None) -> dict[str, User]:
    ada = User.objects.create_user("ada", password=PASSWORD)
    bob = User.objects.create_user("bob", password=PASSWORD)
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    return {"ada": ada, "bob": bob, "root": root}


def sign_in(
    username: str, password: str, *, url: str = "/login/", address: str = ATTACKER
) -> tuple[Any, Client]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(url, {"username": username, "password": password})
    return response, client


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """The limits do not depend on the hasher; the default one is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fail(times: int, username: str = "ada", **where: str) -> None:
    """Wrong passwords: the form again, until the one that reaches the limit locks the pair."""
    for attempt in range(1, times + 1):
        response, _client = sign_in(username, "wrong", **where)
        expected = 429 if attempt == settings.AXES_FAILURE_LIMIT else 200
        assert response.status_code == expected, attempt


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_sixth_attempt_is_refused_even_with_the_right_password(people: dict[str, User]) -> None:
    fail(settings.AXES_FAILURE_LIMIT)
    response, client = sign_in("ada", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page and "15 minutes" in page
    assert 'name="username"' in page  # the form, with the reason above it
    assert not signed_in(client)


def test_a_username_longer_than_any_column_is_refused_like_any_other(
    people: dict[str, User],
) -> None:
    response, client = sign_in("x" * 1000, "wrong")
    assert response.status_code == 200 and not signed_in(client)
    assert AccessAttempt.objects.get().username == "x" * 255


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(
    people: dict[str, User],
) -> None:
    fail(settings.AXES_FAILURE_LIMIT - 1)
    response, client = sign_in("ada", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    fail(settings.AXES_FAILURE_LIMIT - 1)  # a success started the count again
    response, client = sign_in("ada", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_other_users_and_other_addresses_are_not_affected(people: dict[str, User]) -> None:
    fail(settings.AXES_FAILURE_LIMIT)
    response, client = sign_in("bob", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    response, client = sign_in("ada", PASSWORD, address=ELSEWHERE)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_ends_when_the_cool_off_has_passed(people: dict[str, User]) -> None:
    fail(settings.AXES_FAILURE_LIMIT)
    assert sign_in("ada", PASSWORD)[0].status_code == 429
    later = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=later)  # as if the cool-off had been waited out
    response, client = sign_in("ada", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_admin_sign_in_is_limited_too(people: dict[str, User]) -> None:
    fail(settings.AXES_FAILURE_LIMIT, "root", url="/admin/login/")
    response, client = sign_in("root", PASSWORD, url="/admin/login/")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not signed_in(client)


def test_failures_on_either_page_count_together(people: dict[str, User]) -> None:
    fail(settings.AXES_FAILURE_LIMIT - 1, "root", url="/admin/login/")
    assert sign_in("root", "wrong")[0].status_code == 429
    assert sign_in("root", PASSWORD)[0].status_code == 429


@pytest.mark.django_db(transaction=True)
async def test_the_lock_holds_under_asgi_as_daphne_serves_it(settings: Any) -> None:
    """daphne runs the middleware chain asynchronously; django-axes answers there on its own."""
    await sync_to_async(User.objects.create_user)("ada", password=PASSWORD)
    client = AsyncClient(REMOTE_ADDR=ATTACKER)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        await client.post("/login/", {"username": "ada", "password": "wrong"})
    response = await client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Views ran in asgiref's worker thread: close its connections so the test database can go.
    await sync_to_async(connections.close_all)()
