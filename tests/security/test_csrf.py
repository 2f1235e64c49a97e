"""Every URL of the project refuses a POST without a CSRF token, and changes nothing.

The URLs are found by walking ``config/urls.py`` (the admin, the demo corpus
and the review app included), so a view added later is covered without being
listed here; a view marked ``csrf_exempt`` fails this test unless it is one
of the API endpoints below. Those authenticate a program by its API token,
which a browser never sends by itself, so they need no CSRF token then; with
a session they run Django's CSRF check themselves (review/api_auth.py), and
a session POST without the token is refused there (checked here too, and per
action in tests/review/test_api_actions.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from tests.workflows.flows import add_one, approve, chain, double
from workflows.engine.testing import run_workflow
from workflows.models import Suspension

pytestmark = pytest.mark.django_db

# Bearer-token endpoints (csrf_exempt by design, CSRF checked for sessions in api_view).
BEARER_TOKEN_ENDPOINTS = frozenset(
    {
        "review:api-runs",
        "review:api-run-events",
        "review:api-run-event",
        "review:api-run-snapshot",
        "review:api-run-resume",
        "review:api-run-cancel",
        "review:api-run-retry",
        "review:api-run-fork",
        "review:api-run-drafts",
    }
)
GENERIC_VALUES = ("1", "auth", "x")  # for ids, the admin's app labels, and anything else


@dataclass(frozen=True)
class Route:
    """One URL pattern of the project: its name, its view, and its regex parts from the root."""

    name: str
    callback: Any
    regexes: tuple[str, ...]


def routes(
    patterns: list[URLPattern | URLResolver], regexes: tuple[str, ...] = (), namespace: str = ""
) -> Iterator[Route]:
    for entry in patterns:
        here = (*regexes, entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, here, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{here[-1]}>"
            yield Route(name, entry.callback, here)


def all_routes() -> list[Route]:
    return list(routes(get_resolver().url_patterns))


def example_url(route: Route, known: dict[str, str]) -> str:
    """A path that resolves to this route's view, filling its parameters with real ids."""
    template, params = "", list[str]()
    for regex in route.regexes:
        part, names = normalize(regex)[0]
        template, params = template + part, params + list(names)
    open_params = [name for name in params if name not in known]
    for values in itertools.product(GENERIC_VALUES, repeat=len(open_params)):
        url = "/" + template % {**known, **dict(zip(open_params, values, strict=True))}
        try:
            if resolve(url).func is route.callback:
                return url
        except Resolver404:
            continue
    raise AssertionError(f"no example URL for {route.name}: give its parameters a value")


def everything() -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of every table, so any change at all shows."""
    return [
        (model._meta.label, list(model._base_manager.order_by("pk").values_list()))
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    ]


@pytest.fixture
def known_ids() -> dict[str, str]:
    """A run waiting for a person, so the acting URLs point at something they could change."""
    run = run_workflow(chain("csrf-wait", add_one, approve, double), {"n": 1})
    suspension = Suspension.objects.get(run=run)
    return {
        "run_id": str(run.pk),
        "suspension_id": str(suspension.pk),
        "workflow_id": run.workflow_id,
    }


def superuser_client() -> Client:
    user = User.objects.create_superuser("root", "root@example.com", "root-password")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def refusal(route: Route, response: Any, signed_in: bool) -> str | None:
    """None when the response is the refusal this route owes a POST without CSRF; else why not."""
    body = response.content.decode(errors="replace")
    if route.name in BEARER_TOKEN_ENDPOINTS:
        if response.status_code == 405:
            return None  # the endpoint does not take POST at all
        wanted = "csrf_failed" if signed_in else "not_authenticated"
        if response.status_code == 403 and wanted in body:
            return None
        return f"{response.status_code}, not 403 {wanted}"
    if response.status_code == 403 and "CSRF verification failed" in body:
        return None
    return f"{response.status_code}, not Django's 403 CSRF refusal"


def csrf_failures(client: Client, known: dict[str, str], *, signed_in: bool) -> list[str]:
    """POST to every URL without a CSRF token, as a form and as HTMX; what was not refused."""
    failures = []
    for route in all_routes():
        url = example_url(route, known)
        for kind, headers in (("form", {}), ("htmx", {"HX-Request": "true"})):
            response = client.post(url, {"approved": "true", "reason": "forged"}, headers=headers)
            why = refusal(route, response, signed_in=signed_in)
            if why:
                failures.append(f"POST {url} ({route.name}, {kind}): {why}")
    return failures


@pytest.mark.parametrize("who", ["superuser", "anonymous"])
def test_no_url_accepts_a_post_without_the_csrf_token(who: str, known_ids: dict[str, str]) -> None:
    signed_in = who == "superuser"
    client = superuser_client() if signed_in else Client(enforce_csrf_checks=True)
    before = everything()
    assert csrf_failures(client, known_ids, signed_in=signed_in) == []
    assert everything() == before


@override_settings(ROOT_URLCONF="tests.security.exempt_urls")
def test_a_new_view_without_csrf_would_fail_the_walk(known_ids: dict[str, str]) -> None:
    failures = csrf_failures(superuser_client(), known_ids, signed_in=True)
    assert failures == [
        "POST /forgetful/ (forgetful, form): 200, not Django's 403 CSRF refusal",
        "POST /forgetful/ (forgetful, htmx): 200, not Django's 403 CSRF refusal",
    ]
    exempt = {route.name for route in all_routes() if getattr(route.callback, "csrf_exempt", 0)}
    assert exempt - BEARER_TOKEN_ENDPOINTS == {"forgetful"}


def test_only_the_bearer_token_endpoints_are_csrf_exempt() -> None:
    exempt = {route.name for route in all_routes() if getattr(route.callback, "csrf_exempt", False)}
    assert exempt == BEARER_TOKEN_ENDPOINTS


def test_the_walk_reaches_the_admin_the_review_app_and_the_sign_in() -> None:
    names = {route.name for route in all_routes()}
    assert {"admin:login", "admin:auth_user_change", "review:login", "review:decide"} <= names
    assert {"review:save-draft", "review:claim", "review:start", "demo:search"} <= names
