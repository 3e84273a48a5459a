# ruff: noqa: F811 - the radicale_server fixture is imported, then used by name
"""Connecting accounts: the password encrypted at rest and never shown, errors in words
before anything is stored, one's own accounts only, and what the sharing rule shares."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from geflecht.api.tests.conftest import Api
from geflecht.capture import actions, secrets
from geflecht.capture.models import AccountStatus, ConnectedAccount
from geflecht.capture.sharing import policy_for
from geflecht.capture.tests.radicale import PASSWORD, USER, radicale_server  # noqa: F401
from geflecht.importers.parsers.records import InteractionRecord, Participant
from geflecht.lib.errors import Conflict, Invalid, NotFound
from geflecht.people.models import ContactEmail, Organization, Person, Position

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_key(settings, tmp_path):
    settings.GEFLECHT_CREDENTIALS_KEY = ""
    settings.GEFLECHT_CREDENTIALS_KEY_FILE = tmp_path / "keys" / "credentials.key"
    secrets.forget_keys()
    yield
    secrets.forget_keys()


def calendar_input(server, **kw) -> actions.AccountInput:
    return actions.AccountInput(
        kind="caldav", server=server, username=USER, password=PASSWORD, **kw
    )


def test_password_is_stored_encrypted_with_a_key_outside_the_database(
    owner, radicale_server, settings
):
    radicale_server.make_calendar()
    account = actions.connect_account(owner, calendar_input(radicale_server.url))
    stored = ConnectedAccount.objects.values_list("secret", flat=True).get(pk=account.pk)
    assert PASSWORD not in stored
    assert secrets.decrypt(stored) == PASSWORD
    key_file = settings.GEFLECHT_CREDENTIALS_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    # Another installation's key (a stolen dump elsewhere) opens nothing.
    settings.GEFLECHT_CREDENTIALS_KEY = Fernet.generate_key().decode()
    secrets.forget_keys()
    with pytest.raises(secrets.SecretUnreadable, match="Enter the password again"):
        secrets.decrypt(stored)


def test_a_rotated_key_still_reads_what_the_old_key_wrote(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GEFLECHT_CREDENTIALS_KEY = old
    secrets.forget_keys()
    token = secrets.encrypt("app-password")
    settings.GEFLECHT_CREDENTIALS_KEY = f"{new},{old}"
    secrets.forget_keys()
    assert secrets.decrypt(token) == "app-password"
    assert secrets.decrypt(secrets.encrypt("x")) == "x"


def test_wrong_password_is_said_in_words_and_nothing_is_stored(owner, radicale_server):
    radicale_server.make_calendar()
    data = calendar_input(radicale_server.url)
    data.password = "not-the-password"
    with pytest.raises(Exception) as caught:
        actions.connect_account(owner, data)
    assert "password" in str(caught.value).lower()
    assert "not-the-password" not in str(caught.value)
    assert not ConnectedAccount.objects.exists()


def test_bad_fields_are_named_before_any_server_is_asked(owner):
    bad = actions.AccountInput(kind="imap", server="not a host!", username="", password="x")
    with pytest.raises(Invalid) as caught:
        actions.connect_account(owner, bad)
    assert set(caught.value.message_dict) == {"server", "username"}
    with pytest.raises(Invalid, match="password"):
        actions.connect_account(
            owner,
            actions.AccountInput(kind="caldav", server="https://dav.example.com/", username="a"),
        )


def test_the_same_account_twice_is_a_conflict(owner, radicale_server):
    radicale_server.make_calendar()
    actions.connect_account(owner, calendar_input(radicale_server.url))
    with pytest.raises(Conflict, match="connected already"):
        actions.connect_account(owner, calendar_input(radicale_server.url))


def test_api_never_returns_the_password_and_shows_only_my_accounts(
    owner, colleague, radicale_server
):
    radicale_server.make_calendar()
    anna, jana = Api(owner), Api(colleague)
    response = anna.post(
        "/api/v1/connections",
        {"kind": "caldav", "server": radicale_server.url, "username": USER, "password": PASSWORD},
    )
    assert response.status_code == 201, response.content
    assert PASSWORD not in response.content.decode()
    account_id = response.json()["id"]
    listed = anna.get("/api/v1/connections")
    assert [a["id"] for a in listed.json()] == [account_id]
    assert PASSWORD not in listed.content.decode()
    # Jana can neither see nor sync nor delete Anna's account, and learns nothing of it.
    assert jana.get("/api/v1/connections").json() == []
    for call in (
        jana.get(f"/api/v1/connections/{account_id}"),
        jana.post(f"/api/v1/connections/{account_id}/sync", {}),
        jana.delete(f"/api/v1/connections/{account_id}"),
    ):
        assert call.status_code == 404
        assert radicale_server.url not in call.content.decode()
    assert ConnectedAccount.objects.filter(pk=account_id).exists()


def test_api_wrong_password_is_a_client_error_in_words(owner, radicale_server):
    radicale_server.make_calendar()
    response = Api(owner).post(
        "/api/v1/connections",
        {"kind": "caldav", "server": radicale_server.url, "username": USER, "password": "nope"},
    )
    assert 400 <= response.status_code < 500, response.content
    assert "password" in response.json()["message"].lower()


def test_someone_elses_account_is_not_found(owner, colleague, radicale_server):
    radicale_server.make_calendar()
    account = actions.connect_account(owner, calendar_input(radicale_server.url))
    with pytest.raises(NotFound):
        actions.account_of(colleague, account.pk)
    with pytest.raises(NotFound):
        actions.disconnect_account(colleague, account)


def test_a_new_password_lifts_the_stop_after_a_refused_one(owner, radicale_server):
    radicale_server.make_calendar()
    account = actions.connect_account(owner, calendar_input(radicale_server.url), check=False)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.AUTH_FAILED, failures=1, next_sync_at=None
    )
    assert account.pk not in actions.due_accounts()
    account.refresh_from_db()
    changed = actions.update_account(owner, account, password=PASSWORD)
    assert changed.status != AccountStatus.AUTH_FAILED
    assert changed.failures == 0


def test_backoff_doubles_and_stops_at_a_day():
    assert [actions.backoff(n, 15).total_seconds() / 60 for n in (1, 2, 3)] == [15, 30, 60]
    assert actions.backoff(20, 15).days == 1


# -- the sharing rule ---------------------------------------------------------------------


def _mail(*addresses: str) -> InteractionRecord:
    people = [Participant("anna@brenner.de", "Anna", "sender")]
    people += [Participant(a, "", "recipient") for a in addresses]
    return InteractionRecord(
        source_format="imap",
        entry_no=1,
        external_id="<1@x>",
        kind="email",
        start=datetime(2026, 11, 1, tzinfo=UTC),
        participants=tuple(people),
    )


@pytest.fixture
def customer_world(tenant, own_company):
    acme = Organization.objects.create(
        tenant=tenant, name="ACME", kind="customer", website="https://www.acme-maschinen.de"
    )
    partner = Organization.objects.create(tenant=tenant, name="Fräs GmbH", kind="partner")
    buyer = Person.objects.create(tenant=tenant, first_name="Ute", last_name="Fräs")
    Position.objects.create(tenant=tenant, person=buyer, organization=partner)
    ContactEmail.objects.create(person=buyer, email="ute@fraes-partner.de")
    colleague = Person.objects.create(tenant=tenant, first_name="Jo", last_name="Brenner")
    Position.objects.create(tenant=tenant, person=colleague, organization=own_company)
    ContactEmail.objects.create(person=colleague, email="jo@brenner.de")
    return acme


def test_nothing_is_shared_without_a_rule(owner, customer_world):
    policy = policy_for(owner)
    assert policy.visibility_of(_mail("einkauf@acme-maschinen.de"), {"anna@brenner.de"}) == (
        "private"
    )


def test_rule_shares_mail_with_customers_and_partners_only(owner, customer_world):
    actions.set_sharing(owner, ["customer", "partner"])
    me = {"anna@brenner.de"}
    policy = policy_for(owner)
    assert policy.visibility_of(_mail("einkauf@acme-maschinen.de"), me) == "company"
    assert policy.visibility_of(_mail("ute@fraes-partner.de", "jo@brenner.de"), me) == "company"
    # A subdomain of the customer's is the customer's.
    assert policy.visibility_of(_mail("x@werk.acme-maschinen.de"), me) == "company"
    # Somebody unknown, a private address, or only colleagues: it stays private.
    assert policy.visibility_of(_mail("einkauf@acme-maschinen.de", "x@unknown.de"), me) == (
        "private"
    )
    assert policy.visibility_of(_mail("ute@gmail.com"), me) == "private"
    assert policy.visibility_of(_mail("jo@brenner.de"), me) == "private"


def test_exclusions_of_the_user_and_the_company_are_never_shared(owner, customer_world):
    actions.set_sharing(owner, ["customer"])
    actions.set_exclusions(owner, ["chef@acme-maschinen.de"])
    me = {"anna@brenner.de"}
    assert policy_for(owner).visibility_of(_mail("chef@acme-maschinen.de"), me) == "private"
    assert policy_for(owner).visibility_of(_mail("einkauf@acme-maschinen.de"), me) == "company"
    owner.role = "admin"
    owner.save(update_fields=["role"])
    actions.set_exclusions(owner, ["acme-maschinen.de"], company=True)
    assert policy_for(owner).visibility_of(_mail("einkauf@acme-maschinen.de"), me) == "private"


def test_exclusion_list_names_what_is_neither_address_nor_domain(owner, colleague):
    with pytest.raises(Invalid, match="Neither an address nor a domain: nonsense"):
        actions.set_exclusions(owner, ["ok@example.com", "nonsense"])
    with pytest.raises(NotFound):
        actions.set_exclusions(colleague, ["example.com"], company=True)
