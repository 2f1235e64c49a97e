"""HTTP plumbing shared by the providers: one GET-a-JSON-document helper and one TLS context.

Both talk to a configured service (not to reviewer-supplied URLs, so no address
vetting here) and both must turn every transport or protocol failure into a
``ProviderError`` with a plain message and the right ``retryable`` flag. Doing
that once keeps the two providers about parsing only.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from functools import cache
from typing import Any

import httpx

from workflows.content_brief.errors import ProviderError, retryable_status

__all__ = ["get_json", "shared_tls_context"]


@cache
def shared_tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, built once: loading the CA bundle costs tens of
    milliseconds, and a fresh client per request would pay it every time."""
    return httpx.create_ssl_context()


def get_json(
    url: str,
    *,
    params: Mapping[str, str | int],
    service: str,
    timeout: float,
    client: httpx.Client | None = None,
    headers: Mapping[str, str] | None = None,
    hints: Mapping[int, str] | None = None,
) -> Any:
    """GET ``url`` and decode JSON; ``service`` names the service in messages ("The search
    service"), ``hints`` adds advice for particular status codes."""
    owned = client is None
    active = client or httpx.Client(timeout=timeout, verify=shared_tls_context())
    try:
        response = active.get(url, params=params, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise ProviderError(
            f"{service} at {url} did not answer within {timeout:g} seconds. Try again in a minute.",
            retryable=True,
        ) from exc
    except httpx.TransportError as exc:
        raise ProviderError(
            f"Could not connect to {service.lower()} at {url}. "
            "Check that it is running and the address is right, then try again.",
            retryable=True,
        ) from exc
    finally:
        if owned:
            active.close()
    if response.status_code >= 400:
        hint = (hints or {}).get(response.status_code, "")
        retry = retryable_status(response.status_code)
        advice = hint or ("Try again in a few minutes." if retry else "Check its configuration.")
        raise ProviderError(
            f"{service} at {url} answered with an error ({response.status_code}). {advice}",
            retryable=retry,
        )
    try:
        return response.json()
    except ValueError as exc:
        raise ProviderError(
            f"{service} at {url} did not send JSON, so its answer could not be read. "
            "Check that the address points at the right kind of service.",
        ) from exc
