"""Every connector's errors reach the user as words with a fitting status, never a 500:
fix the account (422, naming the setting) or try again later (502)."""

from __future__ import annotations

import pickle

import pytest
from django.utils import translation
from ninja import NinjaAPI
from ninja.testing import TestClient

from geflecht.api.errors import install
from geflecht.capture import dav, errors
from geflecht.lib.errors import INVALID, UNAVAILABLE, classify


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (errors.AuthenticationFailed(host="mail.example.com"), INVALID),
        (errors.CertificateNotTrusted(host="mail.example.com"), INVALID),
        (errors.FolderNotFound(host="mail.example.com", path="Gesendet"), INVALID),
        (errors.InvalidServerAddress(), INVALID),
        (errors.NotSupported(host="mail.example.com"), INVALID),
        (errors.EncryptionNotAvailable(host="mail.example.com"), INVALID),
        (errors.ServerUnreachable(host="mail.example.com"), UNAVAILABLE),
        (errors.ServerError(host="mail.example.com", status="BAD"), UNAVAILABLE),
        (dav.AuthenticationFailed(host="dav.example.com"), INVALID),
        (dav.CollectionNotFound(host="dav.example.com", path="/cal/"), INVALID),
        (dav.ServerUnreachable(host="dav.example.com"), UNAVAILABLE),
        (dav.ServerError(host="dav.example.com", status=500), UNAVAILABLE),
    ],
)
def test_every_connector_error_has_a_door_status(error, kind):
    assert classify(error) is kind


def test_dav_errors_are_the_shared_connector_errors():
    for name in (
        "AuthenticationFailed",
        "AccessDenied",
        "CertificateNotTrusted",
        "CollectionNotFound",
        "InvalidServerAddress",
        "ServerError",
        "ServerUnreachable",
    ):
        assert issubclass(getattr(dav, name), getattr(errors, name)), name
        assert issubclass(getattr(dav, name), dav.DavError)


def test_a_connector_error_survives_the_job_queue_with_its_words():
    error = errors.FolderNotFound(host="mail.example.com", path="Gesendet")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is errors.FolderNotFound
    assert str(again) == str(error)
    assert "Gesendet" in str(again) and "mail.example.com" in str(again)


def _api_raising(error: Exception) -> TestClient:
    api = NinjaAPI(urls_namespace=f"connector-errors-{id(error)}")
    install(api)

    @api.get("/sync")
    def sync(request):
        raise error

    return TestClient(api)


def test_api_answers_a_wrong_password_with_422_naming_the_field():
    response = _api_raising(errors.AuthenticationFailed(host="mail.example.com")).get("/sync")

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"].startswith("The server mail.example.com did not accept")
    assert body["errors"] == [{"field": "password", "message": body["message"]}]


def test_api_answers_an_unreachable_server_with_502_to_try_later():
    response = _api_raising(errors.ServerUnreachable(host="mail.example.com")).get("/sync")

    assert response.status_code == 502
    assert response.json() == {
        "code": "unavailable",
        "message": "The server mail.example.com cannot be reached. Check the address, "
        "or try again later.",
    }


def test_web_shows_an_unreachable_server_as_a_502_page(rf, owner):
    from geflecht.web.middleware import DomainErrorMiddleware

    request = rf.get("/")
    request.user = owner
    middleware = DomainErrorMiddleware(lambda request: None)
    with translation.override("de"):
        page = middleware.process_exception(request, dav.ServerUnreachable(host="dav.example.com"))
    assert page is not None and page.status_code == 502
    assert "Server nicht erreichbar" in page.content.decode()
    assert "dav.example.com" in page.content.decode()
