"""The webhook transport pinned to the checked address still speaks to the URL's host: ``Host`` header, TLS SNI
and certificate name. A real https server on loopback with a certificate for ``hook.example`` from a CA made
here; the resolver is patched to answer that name (and a second one) with loopback."""
from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from services.notify import transport

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def make_certificates(folder) -> tuple[str, str, str]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=Synergy test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=hook.example")
    (folder / "ext.cnf").write_text("subjectAltName=DNS:hook.example\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf")
    return str(folder / "ca.pem"), str(folder / "server.pem"), str(folder / "server.key")


@pytest.fixture
def https_receiver(tmp_path, monkeypatch):
    ca, cert, key = make_certificates(tmp_path)
    seen: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append({"host": self.headers["Host"], "sni": getattr(self.connection, "sni", None)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: setattr(sock, "sni", name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in ("hook.example", "other.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return real(host, port, *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(transport.certifi, "where", lambda: ca)
    yield server.server_address[1], seen
    server.server_close()  # its daemon thread ends with the process


def test_the_pinned_connection_names_the_urls_host_in_host_sni_and_the_certificate_check(https_receiver):
    port, seen = https_receiver
    answer = transport.post(f"https://hook.example:{port}/in?x=1", b"{}", {"content-type": "application/json"},
                            allow_private=True, seconds=5)
    assert answer.status == 204
    assert seen == [{"host": f"hook.example:{port}", "sni": "hook.example"}]


def test_a_certificate_for_another_name_fails_the_attempt(https_receiver):
    port, seen = https_receiver
    with pytest.raises(transport.AttemptFailed, match="connection failed"):
        transport.post(f"https://other.example:{port}/in", b"{}", {}, allow_private=True, seconds=5)
    assert seen == []


def test_private_addresses_are_refused_unless_allowed_and_nothing_is_said_of_them(https_receiver):
    port, seen = https_receiver
    for url in (f"https://hook.example:{port}/in", "http://no-such-host.invalid/x", "ftp://hook.example/x"):
        with pytest.raises(transport.AttemptFailed, match="^address not allowed$"):
            transport.post(url, b"{}", {}, allow_private=False, seconds=5)
    assert seen == []


def test_registering_an_inside_url_says_the_same_whether_the_name_resolves_or_not():
    from services.notify.webhooks import UnsafeEndpoint, check_url
    said = set()
    for url in ("http://10.0.0.8/hook", "http://[::1]:8080/hook", "http://no-such-host.invalid/hook"):
        with pytest.raises(UnsafeEndpoint) as caught:
            check_url(url, allow_private=False)
        said.add(str(caught.value))
    assert said == {"The URL's host does not resolve to public addresses only."}
