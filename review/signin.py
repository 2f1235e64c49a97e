"""Signing in: Django's own sign-in form, and the page shown once attempts are locked out.

django-axes counts failed sign-ins per username and address (config/settings.py).
Once a pair is locked out, every attempt of it, even with the right password,
gets this page with status 429 instead of a session: the app's sign-in page and
the admin's alike, since both authenticate through the same backends.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429
USERNAME_MAX_CHARS = 255  # django-axes' column; Django's sign-in forms do not bound the field
USERNAME_FIELD = "username"  # both sign-in forms' field, and django-axes' default for it


class SignInView(LoginView):
    """The reviewers' sign-in (not only staff's): Django's form on the app's own page."""

    template_name = "review/login.html"
    redirect_authenticated_user = True
    extra_context = {"locked_out": ""}


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """django-axes' ``AXES_USERNAME_CALLABLE``: the username tried, cut to what its table holds.

    Without the cut, a sign-in with a very long username would fail to be
    counted, with a database error, instead of being refused like any other.
    """
    source = credentials or getattr(request, "POST", {})
    username = source.get(USERNAME_FIELD)
    return username[:USERNAME_MAX_CHARS] if isinstance(username, str) else username


def locked_out_message() -> str:
    """Says what happened and how long to wait, in the configured cool-off."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed sign-in attempts for this username from your address. "
        f"Sign-in is blocked for {minutes} minutes after the last attempt; "
        f"wait, then try again (or ask an administrator to unlock it)."
    )


def locked_out(request: HttpRequest, *_: Any) -> HttpResponse:
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: the sign-in form with the reason, status 429."""
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "next": request.POST.get("next", ""),
        "locked_out": locked_out_message(),
    }
    return render(request, "review/login.html", context, status=LOCKED_OUT_STATUS)
