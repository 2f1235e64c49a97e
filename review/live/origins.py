"""The websocket's CSRF protection: the handshake's ``Origin`` must be a full origin we trust.

Channels' ``AllowedHostsOriginValidator`` compares only the origin's host with
``ALLOWED_HOSTS``, so a page on ``http://127.0.0.1:9999`` could open
authenticated sockets to the app on ``:8000`` with the visitor's cookies. Here
scheme, host and port are compared, as Django's CSRF check does for forms:

- the request's own origin: the scheme the client used (``wss``/``https`` when
  the connection, or the proxy header named by ``SECURE_PROXY_SSL_HEADER``, says
  so) and the ``Host`` header, which must itself be in ``ALLOWED_HOSTS``;
- or one of ``CSRF_TRUSTED_ORIGINS`` (``https://*.example.com`` matches subdomains).

A handshake without ``Origin``, or with ``Origin: null``, is refused. One
without a ``Host`` header (HTTP/1.1 requires it, so no browser sends that; only
test clients do) falls back to the host-only ``ALLOWED_HOSTS`` check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    def matches(self, pattern: Origin) -> bool:
        """Equal, or under a ``*.domain`` pattern (same scheme and port)."""
        if (self.scheme, self.port) != (pattern.scheme, pattern.port):
            return False
        if pattern.host.startswith("*."):
            return self.host.endswith(pattern.host[1:])
        return self.host == pattern.host


def parse_origin(text: str) -> Origin | None:
    """``scheme://host[:port]`` as an Origin, or None for anything else (``null``, paths)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/"):
        return None
    return Origin(scheme, host, port or DEFAULT_PORTS[scheme])


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


def _secure(scope: dict[str, Any], headers: dict[str, str]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.lower().removeprefix("http_").replace("_", "-")
        return bool(headers.get(header, "").split(",")[0].strip() == value)
    return False


def own_origin(scope: dict[str, Any], headers: dict[str, str]) -> Origin | None:
    """The origin the client reached us at, if its Host is one we serve."""
    domain, port = split_domain_port(headers.get("host", ""))
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _secure(scope, headers) else "http"
    return Origin(scheme, domain.lower().strip("[]"), int(port) if port else DEFAULT_PORTS[scheme])


def allowed(scope: dict[str, Any]) -> bool:
    headers = _headers(scope)
    origin = parse_origin(headers.get("origin", ""))
    if origin is None:
        return False
    if "host" not in headers:
        return validate_host(origin.host, settings.ALLOWED_HOSTS)
    trusted = [parse_origin(text) for text in getattr(settings, "CSRF_TRUSTED_ORIGINS", [])]
    own = own_origin(scope, headers)
    return any(origin.matches(pattern) for pattern in [own, *trusted] if pattern is not None)


class OriginValidator:
    """ASGI middleware: refuse a websocket handshake whose origin is not trusted (HTTP 403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
