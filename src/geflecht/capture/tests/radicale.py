"""A real Radicale CalDAV/CardDAV server for the connector tests and bench/bench_dav.py.

``RadicaleServer`` runs ``python -m radicale`` with its own configuration in a temporary
directory on a free loopback port: htpasswd authentication (plain) with one user,
filesystem storage, owner-only rights. ``radicale_server`` is a session-scoped fixture;
the test modules import it (there is no conftest.py in this folder on purpose), and the
server behind it is one per process however many modules import it.

The helpers write through plain HTTP (MKCALENDAR, extended MKCOL, PUT, DELETE): they are
how a user's calendar app changes the server, not the code under test.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

USER = "jana"
PASSWORD = "Geheim-4711"
#: A second user named by e-mail, as many hosted servers name them: Radicale writes the
#: "@" of its paths as "%40".
EMAIL_USER = "jana.kuehn@mueller-metall.de"

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""

_MKADDRESSBOOK = """<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>{name}</D:displayname>
  </D:prop></D:set>
</D:mkcol>"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RadicaleServer:
    """One Radicale process; ``start()`` returns once it accepts connections."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.root = root
        self.port = port or free_port()
        self.tls = tls
        self.storage = root / "collections"
        self.scheme = "https" if tls else "http"
        self.url = f"{self.scheme}://127.0.0.1:{self.port}/"
        self.user = USER
        self.password = PASSWORD
        self._process: subprocess.Popen[bytes] | None = None
        self.http = requests.Session()
        self.http.auth = (USER, PASSWORD)
        if tls:
            self.http.verify = str(tls[0])
            self.http.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify

    def _write_config(self) -> Path:
        users = self.root / "users"
        users.write_text(f"{USER}:{PASSWORD}\n{EMAIL_USER}:{PASSWORD}\n", encoding="utf-8")
        ssl_lines = ""
        if self.tls:
            cert, key = self.tls
            ssl_lines = f"ssl = True\ncertificate = {cert}\nkey = {key}\n"
        config = self.root / "config"
        config.write_text(
            f"""[server]
hosts = 127.0.0.1:{self.port}
delay_on_error = 0
{ssl_lines}
[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = {self.storage}

[web]
type = none

[logging]
level = warning
mask_passwords = True
""",
            encoding="utf-8",
        )
        return config

    def start(self, timeout: float = 20.0) -> RadicaleServer:
        config = self._write_config()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "radicale.log").open("wb"),
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = (self.root / "radicale.log").read_text(errors="replace")
                raise RuntimeError(f"radicale exited with {self._process.returncode}: {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"radicale did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        self.http.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    # -- what a user's calendar app does -----------------------------------------------

    def collection_url(self, name: str, *, user: str = USER) -> str:
        return f"{self.url}{quote(user)}/{name}/"

    def make_calendar(self, name: str | None = None, *, user: str = USER) -> str:
        name = name or f"cal-{uuid.uuid4().hex[:10]}"
        url = self.collection_url(name, user=user)
        resp = self.http.request(
            "MKCALENDAR", url, data=_MKCALENDAR.format(name=name), auth=(user, self.password)
        )
        resp.raise_for_status()
        return url

    def make_addressbook(self, name: str | None = None) -> str:
        name = name or f"book-{uuid.uuid4().hex[:10]}"
        url = self.collection_url(name)
        resp = self.http.request("MKCOL", url, data=_MKADDRESSBOOK.format(name=name))
        resp.raise_for_status()
        return url

    def put(self, collection_url: str, name: str, data: str | bytes) -> str:
        """PUT one object; returns its URL."""
        url = collection_url + name
        content_type = "text/vcard" if name.endswith(".vcf") else "text/calendar"
        body = data.encode("utf-8") if isinstance(data, str) else data
        resp = self.http.put(url, data=body, headers={"Content-Type": content_type})
        resp.raise_for_status()
        return url

    def delete(self, url: str) -> None:
        self.http.delete(url).raise_for_status()

    def forget_sync_tokens(self, collection_url: str) -> None:
        """Drop the collection's stored sync tokens, as Radicale does after
        ``max_sync_token_age``: every token handed out so far becomes invalid."""
        path = self.storage / "collection-root" / USER / collection_url.rstrip("/").rsplit("/")[-1]
        shutil.rmtree(path / ".Radicale.cache" / "sync-token", ignore_errors=True)


_SERVER: RadicaleServer | None = None


def shared_server() -> RadicaleServer:
    """The process-wide plain-HTTP server, started on first use."""
    global _SERVER
    if _SERVER is None:
        root = Path(tempfile.mkdtemp(prefix="geflecht-radicale-"))
        _SERVER = RadicaleServer(root).start()
    return _SERVER


def stop_shared_server() -> None:
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        shutil.rmtree(_SERVER.root, ignore_errors=True)
        _SERVER = None


@pytest.fixture(scope="session")
def radicale_server() -> Iterator[RadicaleServer]:
    yield shared_server()
    stop_shared_server()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with the openssl command (skips without it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    options = (
        "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2"
        " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    )
    command = [openssl, *options.split(), "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key
