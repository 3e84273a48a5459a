"""`geflecht serve` runs a production server (gunicorn) that also serves static files,
with the security headers on every answer (static files and the server's own error
pages too) and no query string (a searched name) in its access log."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp_path: Path):
        self.port = free_port()
        env = {**os.environ, "GEFLECHT_DATA_DIR": str(tmp_path)}
        if "GEFLECHT_DATABASE_URL" not in env:
            env["GEFLECHT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
        geflecht = [sys.executable, "-m", "geflecht.cli"]
        self.log = tmp_path / "serve.log"
        self._out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [*geflecht, "serve", "--port", str(self.port), "--workers", "1"],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait(self):
        # Generous: a fresh checkout compiles the graph kernels once at start-up.
        deadline = time.monotonic() + 180
        while True:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=60)
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    pytest.fail("server did not start:\n" + self.output())
                time.sleep(0.3)

    def get(self, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
        """One GET without following redirects (the raw answer of the server)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]  # read before close
        conn.close()
        return response

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def stop(self):
        # SIGINT is gunicorn's quick shutdown (SIGTERM waits for its workers to finish,
        # up to 30 s on a busy machine); a server that still hangs is killed.
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._out.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server for the module: starting gunicorn costs seconds."""
    running = Server(tmp_path_factory.mktemp("serve"))
    try:
        running.page = running.wait()
        yield running
    finally:
        running.stop()


@pytest.mark.django_db(transaction=True)
def test_serve_answers_login_page_and_static_files(server):
    page = server.page
    assert page.status == 200
    assert b"username" in page.read()
    assert page.headers["X-Frame-Options"] == "DENY"
    css = urllib.request.urlopen(
        f"http://127.0.0.1:{server.port}/static/web/geflecht.css", timeout=60
    )
    assert css.status == 200
    assert b"--brand" in css.read()


def test_static_files_carry_the_security_headers(server):
    css = server.get("/static/web/geflecht.css")
    assert css.status == 200
    for header in SECURITY_HEADERS:
        assert css.getheader(header), header
    assert "default-src 'self'" in css.getheader("Content-Security-Policy")
    assert css.getheader("X-Frame-Options") == "DENY"
    assert css.getheader("X-Content-Type-Options") == "nosniff"


def test_a_5000_character_search_reaches_the_app_not_the_raw_414_page(server):
    answer = server.get("/search/?q=" + "a" * 5000)
    assert answer.status != 414
    assert answer.status in (200, 302)  # the app answers (here: please log in first)
    for header in SECURITY_HEADERS:
        assert answer.getheader(header), header


def test_the_servers_own_error_pages_carry_the_security_headers(server):
    too_long = server.get("/search/?q=" + "a" * 10_000)  # beyond any sane request line
    assert too_long.status == 414
    for header in SECURITY_HEADERS:
        assert too_long.getheader(header), header
    assert b"too long" in too_long.body.lower()
    # A browser with a runaway cookie: the header field exceeds the server's limit.
    too_big = server.get("/login/", headers={"Cookie": "junk=" + "a" * 20_000})
    assert too_big.status == 431
    for header in SECURITY_HEADERS:
        assert too_big.getheader(header), header
    assert b"cookies" in too_big.body.lower()


def test_access_log_keeps_no_query_strings(server):
    server.get("/login/?next=/search/%3Fq%3DZw%C3%B6lfhaus&q=Maximilian")
    server.get("/login/?end=1")  # its line follows the line of the first request
    deadline = time.monotonic() + 10
    while server.output().count("GET /login/") < 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # gunicorn writes the line just after the answer
    log = server.output()
    assert "GET /login/" in log
    assert "Maximilian" not in log and "Zw" not in log and "?" not in log.split("GET /login/")[1]
