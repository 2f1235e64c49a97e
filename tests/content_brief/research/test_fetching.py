from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.content_brief.conftest import LocalServer, Recorded
from workflows.content_brief.errors import ProviderError
from workflows.content_brief.research.fetching import (
    BlockedAddress,
    FetchError,
    HttpStatusError,
    InvalidUrl,
    NotHtml,
    TooLarge,
    TooManyRedirects,
    Unreachable,
    blocked_reason,
    fetch_page,
)

PAGE = "<html><head><title>Hello</title></head><body><h1>Hi</h1><p>Text.</p></body></html>"


@pytest.fixture
def allow(local_server: LocalServer) -> set[str]:
    return {local_server.netloc}


def test_fetches_an_allow_listed_local_page(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add("/page", PAGE)
    page = fetch_page(local_server.url("/page"), allow_hosts=allow)
    assert page.url == page.final_url == local_server.url("/page")
    assert page.status == 200
    assert page.content_type.startswith("text/html")
    assert "<h1>Hi</h1>" in page.html
    sent = local_server.requests[0]
    assert sent.headers["host"] == local_server.netloc  # the name, although we dialled the IP
    assert "HandoffContentBrief" in sent.headers["user-agent"]


def test_allow_list_accepts_a_bare_host_name(local_server: LocalServer) -> None:
    local_server.add("/page", PAGE)
    assert fetch_page(local_server.url("/page"), allow_hosts={"127.0.0.1"}).status == 200


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/page",
        "http://localhost:{port}/page",
        "http://10.0.0.1/",
        "http://192.168.1.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/page",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://100.64.0.1/",
        "http://2130706433/",  # 127.0.0.1 written as one number
    ],
)
def test_refuses_internal_addresses(local_server: LocalServer, url: str) -> None:
    local_server.add("/page", PAGE)
    target = url.format(port=local_server.port)
    with pytest.raises(BlockedAddress) as caught:
        fetch_page(target)
    assert caught.value.retryable is False
    assert target in caught.value.message
    assert "public web address" in caught.value.message
    assert local_server.requests == []  # refused before connecting


def test_allow_list_entry_with_port_only_matches_that_port(local_server: LocalServer) -> None:
    local_server.add("/page", PAGE)
    with pytest.raises(BlockedAddress):
        fetch_page(local_server.url("/page"), allow_hosts={"127.0.0.1:1"})


def test_a_public_name_resolving_to_a_private_address_is_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("news.example", 443)
        return ["93.184.215.14", "10.1.2.3"]  # one bad answer is enough to refuse

    with pytest.raises(BlockedAddress, match=r"10\.1\.2\.3"):
        fetch_page("https://news.example/article", resolver=resolver)


def test_every_redirect_hop_is_vetted(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add(
        "/start", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(BlockedAddress, match=r"169\.254\.169\.254"):
        fetch_page(local_server.url("/start"), allow_hosts=allow)
    assert [r.path for r in local_server.requests] == ["/start"]


def test_follows_relative_redirects(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add("/old", status=301, headers={"Location": "/new?x=1"})
    local_server.add("/new", PAGE)
    page = fetch_page(local_server.url("/old"), allow_hosts=allow)
    assert page.url == local_server.url("/old")
    assert page.final_url == local_server.url("/new?x=1")
    assert [r.path for r in local_server.requests] == ["/old", "/new"]


def test_redirect_loop(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add("/a", status=302, headers={"Location": "/b"})
    local_server.add("/b", status=302, headers={"Location": "/a"})
    with pytest.raises(TooManyRedirects, match="loop") as caught:
        fetch_page(local_server.url("/a"), allow_hosts=allow)
    assert caught.value.retryable is False


def test_redirect_chain_is_capped(local_server: LocalServer, allow: set[str]) -> None:
    for i in range(10):
        local_server.add(f"/r{i}", status=307, headers={"Location": f"/r{i + 1}"})
    with pytest.raises(TooManyRedirects, match="more than 3 times"):
        fetch_page(local_server.url("/r0"), allow_hosts=allow, max_redirects=3)
    assert len(local_server.requests) == 4  # the first request plus three redirects


def test_exactly_max_redirects_is_fine(local_server: LocalServer, allow: set[str]) -> None:
    for i in range(3):
        local_server.add(f"/r{i}", status=308, headers={"Location": f"/r{i + 1}"})
    local_server.add("/r3", PAGE)
    assert fetch_page(local_server.url("/r0"), allow_hosts=allow, max_redirects=3).status == 200


@pytest.mark.parametrize("content_type", ["application/json", "image/png", "text/plain", None])
def test_refuses_non_html(
    local_server: LocalServer, allow: set[str], content_type: str | None
) -> None:
    local_server.add("/data", b"{}", content_type=content_type)
    with pytest.raises(NotHtml, match="not a web page") as caught:
        fetch_page(local_server.url("/data"), allow_hosts=allow)
    assert caught.value.retryable is False


def test_accepts_xhtml(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add("/x", PAGE, content_type="application/xhtml+xml")
    assert fetch_page(local_server.url("/x"), allow_hosts=allow).html == PAGE


def test_refuses_declared_oversize_body(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add("/big", "<p>" + "x" * 5000 + "</p>")
    with pytest.raises(TooLarge, match="larger than") as caught:
        fetch_page(local_server.url("/big"), allow_hosts=allow, max_bytes=1000)
    assert caught.value.retryable is False


def test_stops_reading_an_endless_body(local_server: LocalServer, allow: set[str]) -> None:
    def endless(handler: BaseHTTPRequestHandler, _request: Recorded) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()  # no Content-Length: the body ends when the connection does
        for _ in range(200):
            handler.wfile.write(b"<p>" + b"y" * 1000 + b"</p>")

    local_server.add_handler("/endless", endless)
    with pytest.raises(TooLarge):
        fetch_page(local_server.url("/endless"), allow_hosts=allow, max_bytes=20_000)


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (403, False), (503, True)])
def test_http_errors(
    local_server: LocalServer, allow: set[str], status: int, retryable: bool
) -> None:
    local_server.add("/e", "nope", status=status)
    with pytest.raises(HttpStatusError) as caught:
        fetch_page(local_server.url("/e"), allow_hosts=allow)
    assert caught.value.status == status
    assert caught.value.retryable is retryable
    assert str(status) in caught.value.message


def test_unreachable_is_retryable(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/"
    with pytest.raises(Unreachable) as caught:
        fetch_page(url, allow_hosts={"127.0.0.1"}, timeout=2)
    assert caught.value.retryable is True
    assert url in caught.value.message


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file", "file:///etc/passwd", "http://", "http://user:pw@example.com/"],
)
def test_invalid_urls(url: str) -> None:
    with pytest.raises(InvalidUrl) as caught:
        fetch_page(url)
    assert caught.value.retryable is False


def test_decodes_declared_charset(local_server: LocalServer, allow: set[str]) -> None:
    local_server.add(
        "/l1", "<p>Café crème</p>".encode("latin-1"), content_type="text/html; charset=iso-8859-1"
    )
    local_server.add(
        "/meta",
        '<meta charset="windows-1252"><p>Caf\xe9</p>'.encode("cp1252"),
        content_type="text/html",
    )
    assert "Café crème" in fetch_page(local_server.url("/l1"), allow_hosts=allow).html
    assert "Café" in fetch_page(local_server.url("/meta"), allow_hosts=allow).html


def test_error_hierarchy() -> None:
    for cls in (BlockedAddress, NotHtml, TooLarge, TooManyRedirects, Unreachable, InvalidUrl):
        assert issubclass(cls, FetchError)
    assert issubclass(FetchError, ProviderError)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2606:4700:4700::1111", False),
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("169.254.169.254", True),
        ("::1", True),
        ("fe80::1%eth0", True),
        ("::ffff:10.0.0.1", True),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", True),  # NAT64 wrapping 10.0.0.1
        ("240.0.0.1", True),
    ],
)
def test_blocked_reason(address: str, blocked: bool) -> None:
    assert (blocked_reason(address) is not None) is blocked


# --- TLS: the connection is pinned to the vetted IP, yet the certificate is checked by name --


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A throwaway certificate for the name "localhost" (not for 127.0.0.1)."""
    pytest.importorskip("cryptography")
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_server(tls_material: tuple[str, str]) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"<p>over TLS for {self.headers['Host']}</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: object, client_address: object) -> None:
            pass  # failed handshakes are the point of one test

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_material)
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _trusting(cert_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cert_file)


def test_https_checks_the_certificate_against_the_name(
    tls_server: int, tls_material: tuple[str, str]
) -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    page = fetch_page(
        f"https://localhost:{tls_server}/",
        allow_hosts={"localhost"},
        resolver=resolver,
        verify=_trusting(tls_material[0]),
    )
    assert f"over TLS for localhost:{tls_server}" in page.html


def test_https_refuses_a_certificate_for_another_name(
    tls_server: int, tls_material: tuple[str, str]
) -> None:
    with pytest.raises(Unreachable, match="certificate") as caught:
        fetch_page(
            f"https://127.0.0.1:{tls_server}/",
            allow_hosts={"127.0.0.1"},
            verify=_trusting(tls_material[0]),
        )
    assert caught.value.retryable is False


def test_a_server_trickling_bytes_cannot_stretch_the_time_budget(
    local_server: LocalServer, allow: set[str]
) -> None:
    import time

    def trickle(handler: BaseHTTPRequestHandler, _request: Recorded) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        try:
            for _ in range(5):  # one chunk each 0.9 s: every read waits almost the budget
                handler.wfile.write(b"<p>slow</p>" * 10)
                handler.wfile.flush()
                time.sleep(0.9)
        except OSError:
            pass  # the client gave up, as it should

    local_server.add_handler("/trickle", trickle)
    started = time.monotonic()
    with pytest.raises(Unreachable, match="did not answer within 1 seconds"):
        fetch_page(local_server.url("/trickle"), allow_hosts=allow, timeout=1.0)
    assert time.monotonic() - started < 1.6  # was 1.8 s: the budget plus one read's wait
