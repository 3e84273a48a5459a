"""One error hierarchy, mapped once: every door answers a service's error the same way."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from geflecht import cli
from geflecht.lib.errors import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    Conflict,
    Invalid,
    NotAllowed,
    NotFound,
    classify,
)
from geflecht.people.models import Person


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (NotFound("x"), NOT_FOUND),
        (Person.DoesNotExist("x"), NOT_FOUND),
        (NotAllowed("x"), FORBIDDEN),
        (PermissionDenied("x"), FORBIDDEN),
        (Conflict("x"), CONFLICT),
        (Invalid({"last_name": ["x"]}), INVALID),
        (ValidationError("x"), INVALID),
    ],
)
def test_every_domain_error_has_one_status(error, kind):
    assert classify(error) is kind


def test_a_bug_is_not_a_domain_error():
    assert classify(KeyError("x")) is None


def test_domain_errors_stay_djangos_own_for_code_that_catches_those():
    assert isinstance(NotAllowed("x"), PermissionDenied)
    assert isinstance(Invalid("x"), ValidationError)


def test_a_hidden_person_is_a_styled_404_page_like_a_missing_one(owner, colleague):
    secret = Person.objects.create(
        tenant_id=owner.tenant_id,
        first_name="Gerlinde",
        last_name="Geheimnisvoll",
        visibility="private",
        owner=owner,
    )
    client = Client()
    client.force_login(colleague)
    hidden = client.get(f"/people/{secret.pk}/")
    missing = client.get("/people/987654321/")
    assert hidden.status_code == missing.status_code == 404
    # Alike but for the per-request CSRF token and the page's own address in the layout.
    token = re.compile(rb'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"')
    hidden_body = token.sub(b"", hidden.content).replace(f"/people/{secret.pk}/".encode(), b"ID")
    assert hidden_body == token.sub(b"", missing.content).replace(b"/people/987654321/", b"ID")
    assert b"Back to my network" in hidden.content  # the app's layout, not Django's page


def test_middleware_maps_each_kind_to_its_page(rf, owner):
    from geflecht.web.middleware import DomainErrorMiddleware

    middleware = DomainErrorMiddleware(lambda request: None)
    request = rf.get("/")
    request.user = owner
    for error, status in (
        (NotFound("Person 7 is Gerlinde"), 404),
        (NotAllowed("Your account is read-only."), 403),
        (Conflict("Someone saved this person in the meantime."), 409),
        (Invalid({"last_name": ["A last name is needed."]}), 422),
    ):
        response = middleware.process_exception(request, error)
        assert response.status_code == status
        body = response.content.decode()
        assert "Gerlinde" not in body  # a not-found page never repeats what was found
        if status != 404:
            message = error.messages[0] if isinstance(error, Invalid) else str(error)
            assert message in body
    assert middleware.process_exception(request, KeyError("bug")) is None


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (NotFound("Nobody called 'X' is visible to jana."), "Nobody called"),
        (NotAllowed("Your account is read-only."), "read-only"),
        (Conflict("Someone else changed it."), "changed it"),
        (Invalid({"file": ["Row 3: no name."]}), "Row 3"),
    ],
)
def test_the_cli_prints_a_domain_error_as_a_message_with_status_1(monkeypatch, capsys, error, text):
    def run(argv):
        raise error

    monkeypatch.setattr("django.core.management.execute_from_command_line", run)
    with pytest.raises(SystemExit) as ended:
        cli.main(["geflecht", "anything"])
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_the_cli_keeps_the_traceback_of_a_bug(monkeypatch):
    def run(argv):
        raise KeyError("bug")

    monkeypatch.setattr("django.core.management.execute_from_command_line", run)
    with pytest.raises(KeyError):
        cli.main(["geflecht", "anything"])
