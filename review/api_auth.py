"""Who is calling the JSON API: a session (with CSRF on writes) or a per-user API token.

A request with ``Authorization: Bearer <token>`` is authenticated by the token
alone and needs no CSRF token: a browser never sends that header by itself, so
a forged cross-site request cannot carry it. Without it the session is used,
and every write must pass Django's CSRF check, exactly as the pages' forms do.
A token that is unknown, revoked or belongs to an inactive user is 401, never a
silent fall-back to the session, so a program learns at once that its secret
stopped working.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from review.models import ApiToken
from review.responses import plain_error

View = Callable[..., HttpResponse]
LAST_USED_RESOLUTION_SECONDS = 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_SECRET_CHARS = 200


def bearer_secret(request: HttpRequest) -> str | None:
    """The token an ``Authorization: Bearer`` header carries; None without one."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def token_user(secret: str) -> Any:
    """The active user an active token belongs to, or None; notes when it was last used."""
    if not secret or len(secret) > MAX_SECRET_CHARS:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(digest=ApiToken.digest_of(secret))
        .first()
    )
    if token is None:
        return None
    _note_use(token)
    return token.user


def _note_use(token: ApiToken) -> None:
    """Record use at most once a minute, so reads do not turn into a write each."""
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def csrf_refused(request: HttpRequest) -> bool:
    """Django's own CSRF check, run for a session write (the view itself is exempt)."""
    checker = CsrfViewMiddleware(lambda _request: HttpResponse())
    checker.process_request(request)
    return checker.process_view(request, lambda _request: HttpResponse(), (), {}) is not None


def _invalid_token() -> JsonResponse:
    response = plain_error(401, "invalid_token", "the API token is unknown or revoked")
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def authenticate(request: HttpRequest) -> JsonResponse | None:
    """Set ``request.user`` from a token, or check the session; a refusal, or None to go on."""
    secret = bearer_secret(request)
    if secret is not None:
        user = token_user(secret)
        if user is None:
            return _invalid_token()
        request.user = user
        return None
    if not request.user.is_authenticated:
        return plain_error(
            403,
            "not_authenticated",
            "sign in (session) or send Authorization: Bearer <API token>",
        )
    if request.method not in SAFE_METHODS and csrf_refused(request):
        return plain_error(
            403,
            "csrf_failed",
            "a session request that changes something needs the CSRF token "
            "(X-CSRFToken header, from the csrftoken cookie); programs should use an API token",
        )
    return None


def api_view(view: View) -> View:
    """Authenticate by token or session before the view runs; 401/403 with a JSON message."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = authenticate(request)
        if refusal is not None:
            return refusal
        return view(request, *args, **kwargs)

    return wrapper
