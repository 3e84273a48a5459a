"""A real Dovecot IMAP server for the mailbox connector tests and bench/bench_imap.py.

``DovecotServer`` runs Debian's ``/usr/sbin/dovecot`` in the foreground with its own
configuration in a temporary directory (its own base_dir, state_dir and log): IMAP with
STARTTLS on one free loopback port, IMAP over TLS on a second, a self-signed certificate
made with ``openssl``, users in a passwd-file (plain passwords), maildirs with a
``\\Sent``-flagged Sent folder. It runs as the current user; as root (Dovecot refuses to
run its login processes and mail users as root) it uses the package's ``dovenull`` and
``dovecot`` users. Each test makes its own user (:meth:`DovecotServer.new_user`), so the
tests share one server and never see each other's mail.

The helpers (:meth:`~DovecotServer.append`, :meth:`~DovecotServer.client`, ...) speak plain
imaplib: they are how a user's mail program changes the mailbox, not the code under test.
"""

from __future__ import annotations

import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from .radicale import free_port, self_signed_certificate

DOVECOT = "/usr/sbin/dovecot"
#: Non-ASCII on purpose: a password with an umlaut must log in.
PASSWORD = "Geheim-Müller-4711"

_users = itertools.count(1)


def dovecot_binary() -> str:
    """The dovecot command, or a skip (a failure where CI needs it) saying what is missing."""
    found = shutil.which("dovecot") or (DOVECOT if os.access(DOVECOT, os.X_OK) else None)
    if found is None:
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get("GEFLECHT_REQUIRE_SHARED_DATA") == "1" or os.environ.get("CI"):
            pytest.fail(reason + ", and CI needs the IMAP tests to run")
        pytest.skip(reason)
    return found


def _mail_owner() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid) for the user running the tests."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    dovecot = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", dovecot.pw_uid, dovecot.pw_gid


def message(
    *,
    sender: str,
    to: Iterable[str] = (),
    cc: Iterable[str] = (),
    date: str = "Tue, 01 Dec 2026 10:00:00 +0100",
    message_id: str | None = None,
    subject: str = "Angebot Fräskopf",
    in_reply_to: str | None = None,
    extra: Iterable[str] = (),
    body: str = "Hallo,\r\nanbei das Angebot.\r\n",
) -> bytes:
    """One RFC 5322 message as a mail program would store it."""
    lines = [f"From: {sender}"]
    if to:
        lines.append("To: " + ", ".join(to))
    if cc:
        lines.append("Cc: " + ", ".join(cc))
    lines += [f"Date: {date}", f"Subject: {subject}"]
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    lines += list(extra)
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


class DovecotServer:
    """One Dovecot master process; ``start()`` returns once both ports accept connections."""

    def __init__(self, root: Path, *, users: int = 100) -> None:
        self.root = root
        self._pool = users
        self.port = free_port()  # IMAP, with STARTTLS
        self.tls_port = free_port()  # IMAP over TLS
        self.host = "127.0.0.1"
        self.users_file = root / "users"
        self.mail = root / "mail"
        self.cert: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.login_user, self.internal_user, self.uid, self.gid = _mail_owner()

    # running -------------------------------------------------------------------------

    def _write_config(self) -> Path:
        self.cert, key = self_signed_certificate(self.root)
        for path in (self.root / "run", self.root / "state", self.mail):
            path.mkdir(exist_ok=True)
        os.chmod(self.root, 0o755)  # the mail processes run as another user under root
        os.chown(self.mail, self.uid, self.gid)
        # Users are made before the start: Dovecot notices a changed passwd-file by its
        # mtime, which misses a second write within the same second.
        self._free = [
            self._add_user(f"jana{n}@mueller-metall.de", PASSWORD) for n in range(1, self._pool + 1)
        ]
        internal_group = self.internal_user if os.geteuid() == 0 else ""
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""# Written by geflecht's tests: one throw-away instance.
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = geflecht-{self.port}
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
default_internal_user = {self.internal_user}
{f"default_internal_group = {internal_group}" if internal_group else ""}
default_login_user = {self.login_user}
first_valid_uid = {self.uid}
last_valid_uid = {self.uid}
mail_location = maildir:~/Maildir
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{key}
passdb {{
  driver = passwd-file
  args = {self.users_file}
}}
userdb {{
  driver = passwd-file
  args = {self.users_file}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        return config

    def start(self, timeout: float = 20.0) -> DovecotServer:
        binary = dovecot_binary()
        config = self._write_config()
        log = (self.root / "dovecot.stderr").open("wb")
        self._process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                text = (self.root / "dovecot.stderr").read_text(errors="replace")
                raise RuntimeError(f"dovecot exited with {self._process.returncode}: {text}")
            try:
                for port in (self.port, self.tls_port):
                    with socket.create_connection((self.host, port), timeout=0.2):
                        pass
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    # what a mail program or an administrator does -----------------------------------

    def new_user(self) -> str:
        """A fresh user (an e-mail address, password :data:`PASSWORD`) with an empty
        mailbox; returns the name."""
        if not self._free:
            name = self._add_user(f"jana{self._pool + next(_users)}@mueller-metall.de", PASSWORD)
            time.sleep(1.1)  # see _write_config: let Dovecot see the new mtime
            return name
        return self._free.pop(0)

    def _add_user(self, name: str, password: str) -> str:
        home = self.mail / name
        home.mkdir(exist_ok=True)  # a benchmark may bring a prepared maildir
        os.chown(home, self.uid, self.gid)
        with self.users_file.open("a", encoding="utf-8") as fh:
            fh.write(f"{name}:{{PLAIN}}{password}:{self.uid}:{self.gid}::{home}\n")
        return name

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        base = self.mail / user / "Maildir"
        return base if folder == "INBOX" else base / f".{folder}"

    def client(self, user: str, password: str = PASSWORD) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.authenticate("PLAIN", lambda _: f"\0{user}\0{password}".encode())
        return conn

    def append(self, user: str, folder: str, *messages: bytes) -> None:
        conn = self.client(user)
        try:
            for data in messages:
                typ, answer = conn.append(f'"{folder}"', None, None, data)
                assert typ == "OK", answer
        finally:
            conn.logout()

    def command(self, user: str, *commands: tuple[str, ...]) -> None:
        """Run mailbox commands (("create", "Gesendet"), ("delete", "Sent"), ...)."""
        conn = self.client(user)
        try:
            for name, *args in commands:
                typ, answer = getattr(conn, name)(*args)
                assert typ == "OK", answer
        finally:
            conn.logout()

    def flags(self, user: str, folder: str) -> list[bytes]:
        """Every message's flags in ``folder`` (read-only, so asking changes nothing)."""
        conn = self.client(user)
        try:
            conn.select(f'"{folder}"', readonly=True)
            _typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            return [line for line in data if isinstance(line, bytes)]
        finally:
            conn.logout()

    def write_maildir(self, user: str, folder: str, messages: Iterable[bytes]) -> int:
        """Put messages straight into a maildir folder, as a migration would (fast: no
        IMAP round trip per message); Dovecot indexes them when the folder is opened."""
        target = self.maildir(user, folder)
        stamp = int(time.time())
        count = 0
        for sub in ("cur", "new", "tmp"):
            (target / sub).mkdir(parents=True, exist_ok=True)
        for count, data in enumerate(messages, start=1):
            (target / "cur" / f"{stamp}.M{count}P{os.getpid()}.bench:2,").write_bytes(data)
        if os.geteuid() == 0:
            for dirpath, _dirs, files in os.walk(self.mail / user):
                os.chown(dirpath, self.uid, self.gid)
                for f in files:
                    os.chown(os.path.join(dirpath, f), self.uid, self.gid)
        return count


_SERVER: DovecotServer | None = None


def shared_server() -> DovecotServer:
    """The process-wide server, started on first use."""
    global _SERVER
    if _SERVER is None:
        dovecot_binary()
        root = Path(tempfile.mkdtemp(prefix="geflecht-dovecot-"))
        _SERVER = DovecotServer(root).start()
    return _SERVER


def stop_shared_server() -> None:
    global _SERVER
    if _SERVER is not None:
        _SERVER.stop()
        shutil.rmtree(_SERVER.root, ignore_errors=True)
        _SERVER = None


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    yield shared_server()
    stop_shared_server()
