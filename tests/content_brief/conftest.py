"""A real HTTP server on 127.0.0.1 for provider tests, plus research data built from the
demo corpus.

Providers are exercised over real sockets against this server instead of
mocking httpx or openai, so redirects, streaming, headers and error statuses
behave as they will in production. One server serves the whole session (a
server per test would cost a shutdown poll each); routes are cleared between
tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from workflows.content_brief.demo import corpus
from workflows.content_brief.records import (
    BriefRequest,
    PageOutline,
    PageSummary,
    SearchResult,
    Thread,
)
from workflows.content_brief.research.community import community_insights
from workflows.content_brief.research.keywords import extract_keywords
from workflows.content_brief.research.outline import extract_outline
from workflows.content_brief.research.search import competitor_gaps


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[BaseHTTPRequestHandler, Recorded], None]


def reply(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def reply_json(handler: BaseHTTPRequestHandler, data: Any, *, status: int = 200) -> None:
    reply(handler, json.dumps(data).encode(), status=status, content_type="application/json")


@dataclass
class LocalServer:
    host: str
    port: int
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def add_handler(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body

        def respond(handler: BaseHTTPRequestHandler, _request: Recorded) -> None:
            reply(handler, data, status=status, content_type=content_type, headers=headers)

        self.add_handler(path, respond)

    def add_json(self, path: str, data: Any, *, status: int = 200) -> None:
        self.add(path, json.dumps(data), status=status, content_type="application/json")

    def reset(self) -> None:
        self.routes.clear()
        self.requests.clear()


def _handler_class(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            recorded = Recorded(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            server.requests.append(recorded)
            route = server.routes.get(parts.path)
            try:
                if route is None:
                    self.send_error(404, "no such test route")
                else:
                    route(self, recorded)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading on purpose (size limits)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return RequestHandler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="session")
def _session_server() -> Iterator[LocalServer]:
    local = LocalServer(host="127.0.0.1", port=0)
    httpd = _QuietServer(("127.0.0.1", 0), _handler_class(local))
    local.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield local
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local_server(_session_server: LocalServer) -> Iterator[LocalServer]:
    _session_server.reset()
    yield _session_server
    _session_server.reset()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- research data from the demo corpus -----------------------------------------------------

DEMO_SLUG = "composting-at-home-beginners-guide"
DEMO_URL = f"http://demo.test/demo/articles/{DEMO_SLUG}/"


@pytest.fixture(scope="session")
def demo_outline() -> PageOutline:
    html = corpus.article_html(DEMO_SLUG)
    assert html is not None
    return extract_outline(html, DEMO_URL)


@pytest.fixture(scope="session")
def demo_results() -> list[SearchResult]:
    payload = corpus.search_json("composting at home", 12)
    return [
        SearchResult(title=r["title"], url=r["url"], snippet=r["content"], engine=r["engine"])
        for r in payload["results"]
    ]


@pytest.fixture(scope="session")
def demo_threads() -> list[Thread]:
    payload = corpus.reddit_search_json("", 10)  # an empty query lists every thread
    return [
        Thread(
            title=c["data"]["title"],
            url="https://reddit.test" + c["data"]["permalink"],
            subreddit=c["data"]["subreddit"],
            score=c["data"]["score"],
            num_comments=c["data"]["num_comments"],
            selftext=c["data"]["selftext"],
            created_utc=c["data"]["created_utc"],
        )
        for c in payload["data"]["children"]
    ]


@pytest.fixture(scope="session")
def demo_request(
    demo_outline: PageOutline, demo_results: list[SearchResult], demo_threads: list[Thread]
) -> BriefRequest:
    keywords = extract_keywords(demo_outline.text, demo_outline.heading_texts())
    return BriefRequest(
        url=DEMO_URL,
        page=PageSummary.from_outline(demo_outline),
        angle="A no-fuss first compost pile for busy beginners",
        target_keyword="composting at home",
        keywords=keywords,
        search_results=demo_results,
        competitor_gaps=competitor_gaps(demo_outline, demo_results, keywords),
        community=community_insights(demo_threads),
    )
