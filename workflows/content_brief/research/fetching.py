"""Fetch one web page for analysis without letting a pasted URL reach internal systems.

A reviewer types any URL into the app and the server fetches it, which is the
classic server-side request forgery set-up: ``http://169.254.169.254/`` (cloud
metadata), ``http://localhost:6379/`` or a public name that resolves to
``10.0.0.5``. So every hop, including each redirect, is resolved here, every
address is vetted, and the connection is pinned to the vetted address (the URL
is rewritten to the IP, the ``Host`` header and TLS SNI keep the name) so a
second DNS answer cannot swap in a private address between the check and the
connect.

Each refusal is its own ``FetchError`` subclass whose message names the URL and
says what the reviewer can do; ``retryable`` tells the workflow engine whether
trying again could help.
"""

from __future__ import annotations

import codecs
import contextlib
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from workflows.content_brief.errors import ProviderError, retryable_status
from workflows.content_brief.records import FetchedPage
from workflows.content_brief.research.http_json import shared_tls_context

__all__ = [
    "BlockedAddress",
    "FetchError",
    "HttpStatusError",
    "InvalidUrl",
    "NotHtml",
    "Resolver",
    "TooLarge",
    "TooManyRedirects",
    "Unreachable",
    "blocked_reason",
    "fetch_page",
    "resolve_host",
]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Mozilla/5.0 (compatible; HandoffContentBrief/0.1; page analysis)"

Resolver = Callable[[str, int], list[str]]
"""(host, port) -> IP address strings, in preference order."""


# --- errors ---------------------------------------------------------------------------------


class FetchError(ProviderError):
    """The page could not be fetched; ``url`` is the address that failed (may be a redirect)."""

    def __init__(self, url: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message, retryable=retryable)
        self.url = url


class InvalidUrl(FetchError):
    """Not something we can fetch at all (bad scheme, no host, credentials in it)."""


class BlockedAddress(FetchError):
    """The address is internal (private, loopback, link-local...) and not allow-listed."""


class NotHtml(FetchError):
    """The server answered with something other than an HTML page."""


class TooLarge(FetchError):
    """The page is bigger than ``max_bytes``; we stopped reading."""


class TooManyRedirects(FetchError):
    """Redirects went on longer than ``max_redirects`` or went round in a loop."""


class Unreachable(FetchError):
    """Name lookup, connection, TLS or reading failed before a full answer arrived."""


class HttpStatusError(FetchError):
    """The server answered with an error status; ``status`` holds it."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(url, _status_message(url, status), retryable=retryable_status(status))
        self.status = status


def _status_message(url: str, status: int) -> str:
    if status == 404 or status == 410:
        return f"{url} does not exist (the site answered {status}). Check the address is correct."
    if status in (401, 403):
        return (
            f"{url} refused access (the site answered {status}): it may need a login or block "
            "automated readers. Use a publicly readable page instead."
        )
    if status == 429:
        return (
            f"{url} is limiting how often it can be read (the site answered 429). "
            "Wait a few minutes and try again."
        )
    if status >= 500:
        return (
            f"{url} had a problem on its side (the site answered {status}). "
            "This is usually temporary: try again in a few minutes."
        )
    return f"{url} could not be read (the site answered {status}). Check the address is correct."


# --- address vetting ------------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def blocked_reason(address: str) -> str | None:
    """Why ``address`` must not be contacted, in plain words, or None if it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 form can wrap an IPv4 address; judge the address it really reaches.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked_reason(str(embedded))
    if ip.is_unspecified:
        return "an unspecified address (0.0.0.0 or ::)"
    if ip.is_loopback:
        return "this server itself (a loopback address)"
    if ip.is_link_local:
        return "a link-local address (used by cloud metadata services and local devices)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "an address that is not on the public internet"
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the name resolves to, so all of them can be vetted (not just the first)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


@dataclass(frozen=True)
class _Target:
    url: str  # as the reviewer (or redirect) gave it, fragment removed
    scheme: str
    host: str  # lower case, no brackets, no trailing dot
    port: int

    @property
    def is_ip_literal(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def allow_keys(self) -> set[str]:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return {self.host, shown, f"{shown}:{self.port}", f"{self.host}:{self.port}"}


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(url, f"{url} is not a valid web address ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidUrl(
            url,
            f"{url} cannot be fetched: only web addresses starting with http:// or https:// "
            "are supported.",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidUrl(url, f"{url} has no site name in it. Paste the full address.")
    if parts.username is not None or parts.password is not None:
        raise InvalidUrl(
            url,
            f"{url} contains a username or password. Remove them and use a public address.",
        )
    clean = urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))
    return _Target(clean, scheme, host, port or (443 if scheme == "https" else 80))


def _normalise_allow(allow_hosts: Collection[str]) -> frozenset[str]:
    return frozenset(entry.strip().lower().rstrip(".") for entry in allow_hosts if entry.strip())


def _addresses_for(target: _Target, allowed: frozenset[str], resolver: Resolver) -> list[str]:
    """Resolve and vet; allow-listed hosts skip vetting but are still pinned to what resolved."""
    if target.is_ip_literal:
        addresses = [target.host]
    else:
        try:
            addresses = resolver(target.host, target.port)
        except UnicodeError as exc:
            raise InvalidUrl(target.url, f"{target.url} has an invalid site name.") from exc
        except socket.gaierror as exc:
            permanent = exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5))
            raise Unreachable(
                target.url,
                f"Could not find the site {target.host} for {target.url}. "
                "Check the address is spelled correctly"
                + (" and try again." if permanent else ", then try again in a minute."),
                retryable=not permanent,
            ) from exc
        if not addresses:
            raise Unreachable(
                target.url,
                f"Could not find the site {target.host} for {target.url}. "
                "Check the address is spelled correctly.",
            )
    if target.allow_keys() & allowed:
        return addresses
    for address in addresses:
        reason = blocked_reason(address)
        if reason is not None:
            raise BlockedAddress(
                target.url,
                f"{target.url} was not fetched because it leads to {reason} ({address}), "
                "which could expose internal systems. Use a public web address; if this site "
                f"is intended, ask an administrator to allow '{target.host}'.",
            )
    return addresses


# --- fetching -------------------------------------------------------------------------------


def fetch_page(
    url: str,
    *,
    allow_hosts: Collection[str] = frozenset(),
    timeout: float = 10,
    max_bytes: int = 2_000_000,
    max_redirects: int = 5,
    resolver: Resolver = resolve_host,
    verify: ssl.SSLContext | bool = True,
) -> FetchedPage:
    """Fetch a page a reviewer pointed us at, refusing anything that could reach inside.

    ``allow_hosts`` holds names (``"localhost"``) or ``name:port`` entries
    (``"127.0.0.1:8000"``, ``"[::1]:8000"``) that may resolve to internal
    addresses; the app's own demo pages are the intended use. ``timeout`` is the
    budget in seconds for the whole fetch, redirects included. ``resolver`` and
    ``verify`` exist for tests and private certificate authorities.
    """
    allowed = _normalise_allow(allow_hosts)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    current = url
    with httpx.Client(
        trust_env=False,  # a proxy would resolve names itself and defeat the vetting
        follow_redirects=False,
        verify=shared_tls_context() if verify is True else verify,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml"},
    ) as client:
        while True:
            target = _parse(current)
            seen.append(target.url)
            addresses = _addresses_for(target, allowed, resolver)
            response = _open(client, target, addresses, deadline, timeout)
            try:
                location = response.headers.get("location")
                if response.status_code in REDIRECT_STATUSES and location:
                    current = urljoin(target.url, location.strip())
                    _check_redirect(url, current, seen, max_redirects)
                    continue
                return _read_page(url, target, response, deadline, timeout, max_bytes)
            finally:
                response.close()


def _check_redirect(original: str, next_url: str, seen: list[str], max_redirects: int) -> None:
    next_clean = _parse(next_url).url  # same normal form as ``seen``, so loops are recognised
    if next_clean in seen:
        raise TooManyRedirects(
            original,
            f"{original} redirects in a loop (it comes back to {next_clean}), so it never "
            "reaches a page. Open it in a browser to find the real address and use that.",
        )
    if len(seen) > max_redirects:
        raise TooManyRedirects(
            original,
            f"{original} redirected more than {max_redirects} times without reaching a page. "
            "Open it in a browser and use the address it finally lands on.",
        )


def _open(
    client: httpx.Client,
    target: _Target,
    addresses: list[str],
    deadline: float,
    timeout: float,
) -> httpx.Response:
    """Connect to the vetted addresses in order (IPv6 first may not be routable here)."""
    parsed = httpx.URL(target.url)
    host_header = parsed.netloc.decode("ascii")
    failure: httpx.ConnectError | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        request = client.build_request(
            "GET",
            parsed.copy_with(host=address.split("%", 1)[0]),
            headers={"Host": host_header},
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
            timeout=httpx.Timeout(remaining),
        )
        try:
            return client.send(request, stream=True)
        except httpx.ConnectError as exc:
            failure = exc
            if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "SSL" in str(exc):
                raise Unreachable(
                    target.url,
                    f"{target.url} has an invalid or untrusted security certificate, so it "
                    "was not read. Check the address, or use the http:// version only if you "
                    "trust the site.",
                ) from exc
        except httpx.TimeoutException as exc:
            raise _timed_out(target.url, timeout) from exc
        except httpx.TransportError as exc:
            raise _broken(target.url) from exc
    if failure is None:
        raise _timed_out(target.url, timeout)
    raise Unreachable(
        target.url,
        f"Could not connect to {target.url}: the site did not accept the connection. "
        "Check the address and that the site is up, then try again.",
        retryable=True,
    ) from failure


def _timed_out(url: str, timeout: float) -> Unreachable:
    return Unreachable(
        url,
        f"{url} did not answer within {timeout:g} seconds. The site may be slow or down; "
        "try again later.",
        retryable=True,
    )


def _broken(url: str) -> Unreachable:
    return Unreachable(
        url,
        f"The connection to {url} broke off before the page arrived. Try again in a minute.",
        retryable=True,
    )


def _abort(response: httpx.Response, fired: threading.Event) -> None:
    """Interrupt a read blocked on the socket (closing the response alone would wait for it)."""
    fired.set()
    stream = response.extensions.get("network_stream")
    raw = stream.get_extra_info("socket") if stream is not None else None
    if raw is None:
        response.close()
        return
    with contextlib.suppress(OSError):
        raw.shutdown(socket.SHUT_RDWR)


def _read_page(
    original: str,
    target: _Target,
    response: httpx.Response,
    deadline: float,
    timeout: float,
    max_bytes: int,
) -> FetchedPage:
    if not 200 <= response.status_code < 300:
        raise HttpStatusError(target.url, response.status_code)
    raw_type = response.headers.get("content-type", "")
    media_type = raw_type.split(";", 1)[0].strip().lower()
    if media_type not in HTML_TYPES:
        shown = media_type or "no content type at all"
        raise NotHtml(
            target.url,
            f"{target.url} is not a web page (the site sent {shown}). "
            "Use the address of an HTML article instead.",
        )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(target.url, max_bytes)
    body = bytearray()
    # Each read may wait up to the time left, so a server trickling bytes could
    # stretch the whole fetch far past its budget; closing the response at the
    # deadline ends the read at once.
    fired = threading.Event()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, [response, fired])
    watchdog.daemon = True
    watchdog.start()
    try:
        # Decoded bytes are what we count, so a small gzip bomb cannot get past the cap.
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > max_bytes:
                raise _too_large(target.url, max_bytes)
            if time.monotonic() > deadline:
                raise _timed_out(target.url, timeout)
    except httpx.TimeoutException as exc:
        raise _timed_out(target.url, timeout) from exc
    except (httpx.TransportError, httpx.StreamError, OSError, RuntimeError) as exc:
        if time.monotonic() >= deadline:
            raise _timed_out(target.url, timeout) from exc
        raise _broken(target.url) from exc
    finally:
        watchdog.cancel()
    if fired.is_set():  # the read was cut short at the deadline: the page is incomplete
        raise _timed_out(target.url, timeout)
    html = bytes(body).decode(_encoding(response, bytes(body[:2048])), errors="replace")
    return FetchedPage(
        url=original,
        final_url=target.url,
        status=response.status_code,
        content_type=raw_type,
        html=html,
    )


def _too_large(url: str, max_bytes: int) -> TooLarge:
    return TooLarge(
        url,
        f"{url} is larger than {max_bytes / 1_000_000:g} MB, so reading stopped. "
        "Use a single article page rather than a large archive or file.",
    )


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _encoding(response: httpx.Response, head: bytes) -> str:
    """Header charset, then a <meta charset>, then UTF-8 — the order browsers use."""
    candidates = [response.charset_encoding]
    match = _META_CHARSET.search(head)
    if match:
        candidates.append(match.group(1).decode("ascii"))
    for name in candidates:
        if not name:
            continue
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return "utf-8"
