"""People known only by an address keep the address, not a guessed name; a person is
placed at the organisation their e-mail domain names (never by a free-mail domain)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.urls import reverse

from geflecht.importers.load import load_records
from geflecht.importers.parsers import ContactRecord, InteractionRecord, Participant
from geflecht.lib.maildomains import FREE_MAIL_DOMAINS, domain_of, is_free_mail
from geflecht.people.models import ContactEmail, Organization, Person, Position
from geflecht.people.queries import search

ME = "anna@brenner.example"


def _mail(n: int, *others: tuple[str, str]) -> InteractionRecord:
    return InteractionRecord(
        source_format="imap",
        entry_no=n,
        external_id=f"<m{n}@x>",
        kind="email",
        start=datetime(2026, 3, n, 9, tzinfo=UTC),
        participants=(
            Participant(ME, "", "sender"),
            *(Participant(email, name, "recipient") for email, name in others),
        ),
    )


def _load(owner, *records, private=True):
    return load_records(
        records, user=owner, kind="interactions", source="imap:1", name="Postfach",
        me=[ME], private=private,
    )  # fmt: skip


def _person(email: str) -> Person:
    return Person.objects.get(emails__email=email)


def test_an_address_without_a_name_is_kept_and_marked_unknown(owner):
    _load(owner, _mail(1, ("comd3@kunde.example", ""), ("cmoore@kunde.example", "cmoore")))
    for email in ("comd3@kunde.example", "cmoore@kunde.example"):
        person = _person(email)
        assert person.name_unknown and (person.first_name, person.last_name) == ("", email)
        assert person.full_name == email
    named = _load(owner, _mail(2, ("k.weber@kunde.example", "Klaus Weber")))
    assert named.people.created == 1
    klaus = _person("k.weber@kunde.example")
    assert (klaus.first_name, klaus.last_name, klaus.name_unknown) == ("Klaus", "Weber", False)


def test_pages_and_search_show_the_address_not_a_fake_name(client, owner):
    _load(owner, _mail(1, ("comd3@kunde.example", "")))
    person = _person("comd3@kunde.example")
    client.force_login(owner)
    html = client.get(reverse("person", args=[person.pk])).content.decode()
    assert "comd3@kunde.example" in html and "Comd3" not in html
    hits = search(owner, "comd3")
    assert [h.label for h in hits if h.kind == "person"] == ["comd3@kunde.example"]


def test_an_address_book_brings_the_name_of_someone_known_by_address(owner):
    _load(owner, _mail(1, ("comd3@kunde.example", "")))
    card = ContactRecord(
        source_format="vcard",
        entry_no=1,
        given_name="Carla",
        family_name="Ommerborn",
        emails=(("comd3@kunde.example", "work"),),
    )
    load_records([card], user=owner, kind="contacts", source="carddav:1", name="Adressbuch")
    person = _person("comd3@kunde.example")
    assert (person.first_name, person.last_name, person.name_unknown) == (
        "Carla",
        "Ommerborn",
        False,
    )


def test_a_new_person_works_where_their_domain_says(owner, tenant):
    acme = Organization.objects.create(
        tenant=tenant, name="ACME", website="https://www.acme.example/de/"
    )
    weiss = Organization.objects.create(tenant=tenant, name="Weiß Technik")
    known = Person.objects.create(tenant=tenant, last_name="Weiß")
    ContactEmail.objects.create(person=known, email="b.weiss@weiss-technik.example")
    Position.objects.create(tenant=tenant, person=known, organization=weiss)
    _load(
        owner,
        _mail(
            1,
            ("k.weber@acme.example", "Klaus Weber"),
            ("petra@weiss-technik.example", "Petra Groß"),
        ),
        _mail(2, ("someone@elsewhere.example", "Some One")),
    )
    assert _person("k.weber@acme.example").positions.get().organization == acme
    assert _person("petra@weiss-technik.example").positions.get().organization == weiss
    assert not _person("someone@elsewhere.example").positions.exists()


def test_a_free_mail_address_says_nothing_about_an_employer(owner, tenant):
    org = Organization.objects.create(tenant=tenant, name="Google", website="https://gmail.com")
    colleague_at_org = Person.objects.create(tenant=tenant, last_name="Mailer")
    ContactEmail.objects.create(person=colleague_at_org, email="mailer@gmail.com")
    Position.objects.create(tenant=tenant, person=colleague_at_org, organization=org)
    _load(owner, _mail(1, ("jemand@gmail.com", "Je Mand"), ("x@web.de", "X Y")))
    assert not Position.objects.filter(
        person__emails__email__in=["jemand@gmail.com", "x@web.de"]
    ).exists()


def test_a_shared_person_is_not_placed_at_a_private_organisation(owner, tenant):
    Organization.objects.create(
        tenant=tenant,
        name="Geheim GmbH",
        website="https://geheim.example",
        visibility="private",
        owner=owner,
    )
    _load(owner, _mail(1, ("a@geheim.example", "A B")), private=False)
    assert not _person("a@geheim.example").positions.exists()


def test_free_mail_domains_are_importable_for_the_sync_rules():
    assert {"gmail.com", "googlemail.com", "web.de", "gmx.de", "gmx.net", "t-online.de",
            "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "freenet.de", "posteo.de",
            "mailbox.org", "aol.com", "live.com", "me.com", "protonmail.com",
            "proton.me"} <= FREE_MAIL_DOMAINS  # fmt: skip
    assert is_free_mail("GMX.net") and is_free_mail("anna@web.de") and is_free_mail("mx.gmx.de")
    assert not is_free_mail("acme.example") and not is_free_mail("web.dev")
    assert domain_of("Anna@Brenner.Example") == "brenner.example" and domain_of("kaputt") == ""
