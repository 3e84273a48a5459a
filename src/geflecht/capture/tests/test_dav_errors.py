"""What a user is told when a calendar or address book account cannot be used, and that
the credentials never show: against a real Radicale (plain and TLS) and a closed port."""

from __future__ import annotations

import base64
import logging
import shutil
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import translation

from geflecht.capture.caldav_sync import sync_calendar
from geflecht.capture.carddav_sync import sync_addressbook
from geflecht.capture.dav import (
    AuthenticationFailed,
    CertificateNotTrusted,
    CollectionNotFound,
    DavAccount,
    DavClient,
    DavError,
    InvalidServerAddress,
    ServerUnreachable,
)

from .radicale import RadicaleServer, free_port, radicale_server, self_signed_certificate  # noqa: F401

NOW = datetime(2026, 12, 1, tzinfo=UTC)
WRONG = "Falsch-0815-geheim"


@pytest.fixture(scope="module")
def tls_server():
    root = Path(tempfile.mkdtemp(prefix="geflecht-radicale-tls-"))
    server = RadicaleServer(root, tls=self_signed_certificate(root)).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _leaks(exc: BaseException, *secrets: str) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc)), repr(exc.args)]
    return [s for s in secrets for t in texts if s in t]


def test_wrong_password_is_reported_as_such_without_the_password(radicale_server):  # noqa: F811
    account = DavAccount(radicale_server.url, radicale_server.user, WRONG)
    calendar = radicale_server.make_calendar()

    with pytest.raises(AuthenticationFailed) as got:
        sync_calendar(account, calendar, now=NOW)

    assert str(got.value) == (
        f"The server 127.0.0.1:{radicale_server.port} did not accept the user name or "
        "password. Check them in the account settings."
    )
    with translation.override("de"):
        assert "Benutzernamen oder das Passwort" in str(got.value)
    assert _leaks(got.value, WRONG, radicale_server.user) == []
    with pytest.raises(AuthenticationFailed):
        sync_addressbook(account, radicale_server.make_addressbook())


def test_closed_port_is_reported_as_unreachable():
    account = DavAccount(f"http://127.0.0.1:{free_port()}/", "jana", WRONG)

    with pytest.raises(ServerUnreachable, match="cannot be reached") as got:
        sync_calendar(account, now=NOW)

    assert isinstance(got.value, DavError)
    with translation.override("de"):
        assert "nicht erreichbar" in str(got.value)
    assert _leaks(got.value, WRONG) == []


def test_untrusted_certificate_is_refused_and_a_named_authority_is_trusted(tls_server):
    calendar = tls_server.make_calendar()
    account = DavAccount(tls_server.url, tls_server.user, tls_server.password)

    with pytest.raises(CertificateNotTrusted, match="not trusted") as got:
        sync_calendar(account, calendar, now=NOW)
    assert _leaks(got.value, tls_server.password) == []
    with translation.override("de"):
        assert "Zertifikat" in str(got.value)

    trusting = DavAccount(
        tls_server.url, tls_server.user, tls_server.password, verify=str(tls_server.tls[0])
    )
    changes, state = sync_calendar(trusting, calendar, now=NOW)
    assert changes.events == () and state.sync_token


def test_https_address_of_a_plain_server_says_to_check_the_scheme(radicale_server):  # noqa: F811
    url = radicale_server.url.replace("http://", "https://")
    account = DavAccount(url, radicale_server.user, radicale_server.password)
    with pytest.raises(ServerUnreachable, match="http:// or https://"):
        sync_addressbook(account)


def test_missing_collection_is_reported_as_not_found(radicale_server):  # noqa: F811
    account = DavAccount(radicale_server.url, radicale_server.user, radicale_server.password)
    missing = radicale_server.collection_url("gibt-es-nicht")
    with pytest.raises(CollectionNotFound) as got:
        sync_addressbook(account, missing)
    assert "/gibt-es-nicht/" in str(got.value)
    with translation.override("de"):
        assert "keinen Kalender und kein Adressbuch" in str(got.value)


def test_password_never_appears_in_logs_reprs_or_states(radicale_server, caplog):  # noqa: F811
    secret = radicale_server.password
    basic = base64.b64encode(f"{radicale_server.user}:{secret}".encode()).decode()
    account = DavAccount(radicale_server.url, radicale_server.user, secret)
    calendar, book = radicale_server.make_calendar(), radicale_server.make_addressbook()

    with caplog.at_level(logging.DEBUG):
        cal_changes, cal_state = sync_calendar(account, calendar, now=NOW)
        book_changes, book_state = sync_addressbook(account, book)
        with pytest.raises(AuthenticationFailed):
            sync_calendar(DavAccount(radicale_server.url, radicale_server.user, WRONG), calendar)

    shown = [
        caplog.text,
        repr(account),
        str(account),
        repr(DavClient(account)),
        repr(cal_state),
        str(cal_state.to_dict()),
        repr(book_state),
        repr(cal_changes),
        repr(book_changes),
    ]
    for text in shown:
        assert secret not in text and basic not in text and WRONG not in text


def test_credentials_written_into_the_address_are_moved_out_of_it(radicale_server):  # noqa: F811
    url = radicale_server.url.replace(
        "http://", f"http://{radicale_server.user}:{radicale_server.password}@"
    )
    account = DavAccount(url)

    assert account.url == radicale_server.url
    assert radicale_server.password not in repr(account)
    _, state = sync_addressbook(account, radicale_server.make_addressbook())
    assert radicale_server.password not in str(state.to_dict())


@pytest.mark.parametrize("url", ["", "dav.example.com", "ftp://dav.example.com/", "https://"])
def test_an_address_that_is_not_http_is_refused_in_words(url):
    with pytest.raises(InvalidServerAddress, match=r"http:// or https:// address"):
        DavAccount(url, "jana", WRONG)
