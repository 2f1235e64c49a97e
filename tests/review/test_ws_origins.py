"""The websocket origin check compares scheme, host and port, not only the host."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User

from review.live import origins
from tests.review.conftest import refused_with, session_cookie
from workflows.engine.testing import run_workflow

pytestmark = pytest.mark.django_db(transaction=True)


def headers(user: User, origin: str, host: str = "127.0.0.1:8000", **more: str):
    found = [
        (b"origin", origin.encode()),
        (b"host", host.encode()),
        (b"cookie", f"sessionid={session_cookie(user)}".encode()),
    ]
    return found + [(name.encode(), value.encode()) for name, value in more.items()]


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("http://127.0.0.1:9999", "127.0.0.1:8000", False),  # another local port
        ("https://127.0.0.1:8000", "127.0.0.1:8000", False),  # another scheme
        ("http://localhost:8000", "127.0.0.1:8000", False),  # another host
        ("http://LOCALHOST", "localhost", True),
        ("http://localhost:80", "localhost", True),  # the default port, said or not
        ("null", "127.0.0.1:8000", False),
        ("http://127.0.0.1:8000/path", "127.0.0.1:8000", False),
        ("http://evil.example:8000", "evil.example:8000", False),  # a Host we do not serve
        ("http://[::1]:8000", "[::1]:8000", True),
    ],
)
async def test_only_the_servers_own_full_origin_is_accepted(
    reviewer: User, review_flow, origin: str, host: str, accepted: bool
) -> None:
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    sent = await database_sync_to_async(headers)(reviewer, origin, host)
    ok, _ = await refused_with(f"/ws/runs/{run.pk}/events/", sent)
    assert ok is accepted


async def test_trusted_origins_are_accepted_with_wildcards(
    reviewer: User, review_flow, settings
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.example.org"]
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    path = f"/ws/runs/{run.pk}/events/"
    for origin, accepted in [
        ("https://app.example.com", True),
        ("http://app.example.com", False),
        ("https://app.example.com:8443", False),
        ("https://eu.example.org", True),
        ("https://example.org.evil.com", False),
    ]:
        sent = await database_sync_to_async(headers)(reviewer, origin, "10.0.0.5:8000")
        settings.ALLOWED_HOSTS = ["10.0.0.5"]
        ok, _ = await refused_with(path, sent)
        assert ok is accepted, origin


async def test_behind_a_tls_proxy_the_forwarded_scheme_counts(
    reviewer: User, review_flow, settings
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    run = await database_sync_to_async(run_workflow)(review_flow, {"n": 1})
    path = f"/ws/runs/{run.pk}/events/"
    https = await database_sync_to_async(headers)(
        reviewer, "https://localhost", "localhost", **{"x-forwarded-proto": "https"}
    )
    assert (await refused_with(path, https))[0] is True
    plain = await database_sync_to_async(headers)(reviewer, "https://localhost", "localhost")
    assert (await refused_with(path, plain))[0] is False


def test_origins_parse_to_scheme_host_and_port() -> None:
    assert origins.parse_origin("HTTP://Example.COM") == origins.Origin("http", "example.com", 80)
    assert origins.parse_origin("https://a.b:8443") == origins.Origin("https", "a.b", 8443)
    for bad in ("", "null", "ftp://a.b", "http://a.b:99999", "http://", "a.b"):
        assert origins.parse_origin(bad) is None
