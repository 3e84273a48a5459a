"""What a user is told when a mail account cannot be used, and that the password never
shows: against a real Dovecot (STARTTLS and TLS ports) and a closed port."""

from __future__ import annotations

import logging
import pickle
import time
import traceback

import pytest
from django.utils import translation

from geflecht.capture.errors import (
    AuthenticationFailed,
    CertificateNotTrusted,
    ConnectorError,
    FolderNotFound,
    InvalidServerAddress,
    NotSupported,
    ServerUnreachable,
)
from geflecht.capture.imap import ImapAccount, list_folders, sync_mailbox
from geflecht.lib.errors import INVALID, UNAVAILABLE, classify

from .dovecot import PASSWORD, dovecot_server, message  # noqa: F401
from .radicale import free_port

WRONG = "Falsch-0815-geheim"


def _leaks(exc: BaseException, *secrets: str) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(exc.args)]
    with translation.override("de"):
        texts.append(str(exc))
    return [s for s in secrets for t in texts if s in t]


def _account(server, user, password=PASSWORD, **kwargs) -> ImapAccount:
    options = {"port": server.port, "security": "starttls", "ca_file": str(server.cert)}
    return ImapAccount("127.0.0.1", user, password, **{**options, **kwargs})


def test_wrong_password_is_reported_at_once_without_the_password(dovecot_server):  # noqa: F811
    user = dovecot_server.new_user()

    with pytest.raises(AuthenticationFailed) as got:
        sync_mailbox(_account(dovecot_server, user, WRONG), None, me={user})

    assert str(got.value) == (
        f"The server 127.0.0.1:{dovecot_server.port} did not accept the user name or "
        "password. Check them in the account settings."
    )
    with translation.override("de"):
        assert "Benutzernamen oder das Passwort" in str(got.value)
    assert classify(got.value) is INVALID and got.value.field == "password"
    assert _leaks(got.value, WRONG, user) == []
    # One attempt, no retry loop: the server saw a single failed login for this user.
    # (Dovecot logs the disconnect a moment after the client left.)
    deadline = time.monotonic() + 10
    while True:
        log = (dovecot_server.root / "dovecot.log").read_text(errors="replace")
        failed = [
            line for line in log.splitlines() if f"user=<{user}>" in line and "auth failed" in line
        ]
        if failed or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(failed) == 1 and "1 attempts" in failed[0]


def test_closed_port_is_reported_as_unreachable():
    account = ImapAccount("127.0.0.1", "jana", WRONG, port=free_port(), security="ssl")

    with pytest.raises(ServerUnreachable, match="cannot be reached") as got:
        list_folders(account)

    assert classify(got.value) is UNAVAILABLE
    with translation.override("de"):
        assert "nicht erreichbar" in str(got.value)
    assert _leaks(got.value, WRONG) == []


def test_untrusted_certificate_is_refused_and_a_named_authority_is_trusted(dovecot_server):  # noqa: F811
    user = dovecot_server.new_user()
    tls = {"port": dovecot_server.tls_port, "security": "ssl"}

    for security in (tls, {"security": "starttls"}):
        with pytest.raises(CertificateNotTrusted, match="not trusted") as got:
            list_folders(_account(dovecot_server, user, ca_file=None, **security))
        assert _leaks(got.value, PASSWORD) == []
        with translation.override("de"):
            assert "Zertifikat" in str(got.value)

    names = [f.name for f in list_folders(_account(dovecot_server, user, **tls))]
    assert "INBOX" in names


def test_tls_to_a_plain_port_says_to_check_port_and_encryption(dovecot_server):  # noqa: F811
    user = dovecot_server.new_user()
    with pytest.raises(ServerUnreachable, match="SSL/TLS, STARTTLS or no encryption"):
        list_folders(_account(dovecot_server, user, security="ssl"))


def test_missing_folder_is_named_before_anything_is_read(dovecot_server):  # noqa: F811
    user = dovecot_server.new_user()
    dovecot_server.append(user, "INBOX", message(sender="a@kunde.de", to=[user]))

    with pytest.raises(FolderNotFound) as got:
        sync_mailbox(_account(dovecot_server, user), None, me={user}, folders=["INBOX", "Archiv"])

    assert str(got.value) == (
        f"There is no folder Archiv on 127.0.0.1:{dovecot_server.port}. "
        "Choose one of the account's folders."
    )
    assert classify(got.value) is INVALID and got.value.field == "folders"
    with translation.override("de"):
        assert "Archiv" in str(got.value) and "Ordner" in str(got.value)


def test_oauth2_is_refused_in_words_until_it_is_supported(dovecot_server):  # noqa: F811
    user = dovecot_server.new_user()
    with pytest.raises(NotSupported, match="OAuth2 is not supported yet"):
        list_folders(_account(dovecot_server, user, auth="xoauth2"))


@pytest.mark.parametrize("host", ["", "mail.example.com/imap", "jana@mail.example.com"])
def test_a_server_name_that_is_not_one_is_refused_in_words(host):
    with pytest.raises(InvalidServerAddress, match="server's name"):
        ImapAccount(host, "jana", WRONG)


def test_password_never_appears_in_logs_reprs_states_or_errors(dovecot_server, caplog):  # noqa: F811
    user = dovecot_server.new_user()
    dovecot_server.append(user, "INBOX", message(sender="a@kunde.de", to=[user]))
    account = _account(dovecot_server, user)

    with caplog.at_level(logging.DEBUG):
        changes = sync_mailbox(account, None, me={user})
        items = list(changes.items())
        errors: list[ConnectorError] = []
        for wrong in (
            _account(dovecot_server, user, WRONG),
            _account(dovecot_server, user, security="ssl"),
        ):
            with pytest.raises(ConnectorError) as got:
                sync_mailbox(wrong, None, me={user})
            errors.append(got.value)

    assert len(items) == 1
    shown = [caplog.text, repr(account), str(account), repr(changes), str(changes.state)]
    shown += [repr(item) for item in items]
    for error in errors:
        shown += [str(error), repr(error), "".join(traceback.format_exception(error))]
        shown.append(repr(pickle.loads(pickle.dumps(error)).__dict__))
    for text in shown:
        assert PASSWORD not in text and WRONG not in text
