"""Every page of the web app over the demo network: status, content, privacy, query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from geflecht.network.models import Relationship
from geflecht.network.queries import relationship_between
from geflecht.people.models import Organization, Person, Position


def _customer_with_people(demo) -> Organization:
    return (
        Organization.objects.filter(tenant=demo.tenant, kind="customer", positions__isnull=False)
        .order_by("id")
        .distinct()[:1]
        .get()
    )


def _shared_contact(anna) -> Person:
    """A company-visible person Anna knows directly (not a colleague of hers)."""
    rel = (
        Relationship.objects.filter(tenant_id=anna.tenant_id, visibility="company")
        .filter(person_a_id=anna.person_id)
        .exclude(person_b__visibility="private")
        .order_by("-strength")[:1]
        .get()
    )
    return Person.objects.get(pk=rel.person_b_id)


@pytest.mark.parametrize(
    "name", ["home", "search", "paths", "network", "import", "duplicates", "password_change"]
)
def test_pages_need_a_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_main_page_renders_for_a_user(client, anna, demo):
    client.force_login(anna)
    org = _customer_with_people(demo)
    person = _shared_contact(anna)
    for url in [
        reverse("home"),
        reverse("search") + "?q=Müller",
        reverse("person", args=[person.pk]),
        reverse("organisation", args=[org.pk]),
        reverse("paths") + f"?target={person.pk}&hops=4&min_strength=0",
        reverse("network"),
        reverse("network") + f"?mode=organization&org={org.pk}",
        reverse("network") + "?mode=community",
        reverse("import"),
        reverse("duplicates"),
        reverse("password_change"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'id="global-q"' in response.content  # the layout with the search box


def test_layout_serves_htmx_and_its_scripts_without_inline_code(client, anna):
    client.force_login(anna)
    html = client.get(reverse("network")).content.decode()
    assert "/static/vendor/htmx.min.js" in html
    assert "/static/vendor/cytoscape.min.js" in html
    assert "<script>" not in html and " onclick=" not in html and " onchange=" not in html
    for path in ("/static/vendor/htmx.min.js", "/static/vendor/cytoscape.min.js"):
        response = client.get(path)
        assert response.status_code == 200, path


# --------------------------------------------------------------------------- dashboard
def test_dashboard_sections_arrive_as_partials(client, anna):
    client.force_login(anna)
    home = client.get(reverse("home")).content.decode()
    for name in ("dashboard_overview", "dashboard_reconnect", "dashboard_new_ties"):
        assert f'hx-get="{reverse(name)}"' in home
        part = client.get(reverse(name), headers={"HX-Request": "true"})
        assert part.status_code == 200 and b"<html" not in part.content
    items = client.get(reverse("dashboard_reconnect")).context["items"]
    assert items, "the demo gives Anna contacts that cooled down"
    assert all(item.person.importance in ("A", "B", "C", "") for item in items)


def test_a_first_meeting_today_is_a_strong_new_tie(client, anna, demo):
    stranger = Person.objects.create(tenant=demo.tenant, first_name="Neu", last_name="Bekannt")
    client.force_login(anna)
    before = client.get(reverse("dashboard_new_ties")).context["rows"]
    assert stranger not in [row.other for row in before]
    client.post(
        reverse("person_log", args=[stranger.pk]),
        {"kind": "meeting", "day": timezone.localdate().isoformat(), "duration": 120},
    )
    rows = client.get(reverse("dashboard_new_ties")).context["rows"]
    assert stranger in [row.other for row in rows]


def test_dashboard_never_shows_a_colleagues_private_contact(client, jana, annas_private):
    client.force_login(jana)
    private = {f.pk for f in annas_private}
    for name in ("home", "dashboard_reconnect", "dashboard_new_ties"):
        body = client.get(reverse(name)).content
        for pk in private:
            assert reverse("person", args=[pk]).encode() not in body


# ------------------------------------------------------------------------------ search
def test_search_page_finds_umlaut_names_typed_without_umlauts(client, anna, demo):
    muellers = Person.objects.filter(tenant=demo.tenant, last_name="Müller", visibility="company")
    assert muellers.exists()
    client.force_login(anna)
    response = client.get(reverse("search"), {"q": "Mueller"})
    found = {h.id for h in response.context["hits"] if h.kind == "person"}
    assert found >= set(muellers.values_list("pk", flat=True)[:5]) or len(found) >= 20


def test_autocomplete_is_a_partial_with_links(client, anna, demo):
    client.force_login(anna)
    person = _shared_contact(anna)
    response = client.get(
        reverse("search_suggest"), {"q": person.last_name}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert reverse("person", args=[person.pk]).encode() in response.content


def test_private_contact_never_shows_in_colleague_search(client, jana, anna, annas_private):
    client.force_login(jana)
    for friend in annas_private:
        for url in (reverse("search"), reverse("search_suggest")):
            response = client.get(url, {"q": f"{friend.first_name} {friend.last_name}"})
            assert reverse("person", args=[friend.pk]).encode() not in response.content
    client.force_login(anna)
    friend = annas_private[0]
    response = client.get(reverse("search"), {"q": f"{friend.first_name} {friend.last_name}"})
    assert reverse("person", args=[friend.pk]).encode() in response.content


# ------------------------------------------------------------------------------ person
def test_person_page_shows_positions_relationships_timeline_and_paths(client, anna):
    person = _shared_contact(anna)
    client.force_login(anna)
    response = client.get(reverse("person", args=[person.pk]))
    ctx = response.context
    assert list(ctx["positions"]) == list(person.positions.all())
    strengths = [row.strength for row in ctx["rels"]]
    stored = [row.relationship.strength for row in ctx["rels"]]
    assert stored == sorted(stored, reverse=True)
    assert all(0 < s <= 1 for s in strengths)
    assert all(row.explanation for row in ctx["rels"])
    html = response.content.decode()
    assert "How do I reach this person?" in html or "Wie erreiche ich diese Person?" in html
    reach = client.get(reverse("person_reach", args=[person.pk])).context["reach"]
    assert reach.direct is not None
    assert reach.mine and reach.mine[0].steps[-1].person == person


def test_colleagues_private_contact_is_a_404(client, jana, annas_private):
    client.force_login(jana)
    for friend in annas_private:
        assert client.get(reverse("person", args=[friend.pk])).status_code == 404
        assert client.get(reverse("person_timeline", args=[friend.pk])).status_code == 404
    assert client.get(reverse("person", args=[10**9])).status_code == 404


def test_owners_page_does_not_reveal_private_ties_to_colleague(client, anna, jana, annas_private):
    client.force_login(jana)
    url = reverse("person", args=[anna.person_id])
    page, seen = 1, set()
    while True:
        response = client.get(url, {"rels": page})
        seen |= {row.other.pk for row in response.context["rels"]}
        for friend in annas_private:
            assert reverse("person", args=[friend.pk]).encode() not in response.content
        if not response.context["rel_page"].has_next():
            break
        page += 1
    assert seen and not seen & {f.pk for f in annas_private}
    client.force_login(anna)
    mine = client.get(url, {"rels": 1}).context["rel_page"].paginator.count
    assert mine > len(seen) - 1


def test_timeline_pages_with_htmx(client, anna):
    client.force_login(anna)
    url = reverse("person_timeline", args=[anna.person_id])
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200 and b'id="timeline"' in first.content
    assert first.context["tl_page"].paginator.count > 20
    second = client.get(url, {"page": 2})
    older = [e.interaction.occurred_at for e in second.context["entries"]]
    newer = [e.interaction.occurred_at for e in first.context["entries"]]
    assert max(older) <= min(newer)


def test_logging_a_meeting_raises_the_strength(client, anna):
    person = _shared_contact(anna)
    before = relationship_between(anna, anna.person, person).strength
    client.force_login(anna)
    response = client.post(
        reverse("person_log", args=[person.pk]),
        {
            "kind": "meeting",
            "day": timezone.localdate().isoformat(),
            "duration": 60,
            "subject": "Werksbesuch",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result["before"] == pytest.approx(before)
    assert result["after"] > before
    assert relationship_between(anna, anna.person, person).strength == pytest.approx(
        result["after"]
    )
    assert b"new-strength" in response.content


def test_logging_in_the_future_is_refused_and_changes_nothing(client, anna):
    person = _shared_contact(anna)
    before = relationship_between(anna, anna.person, person).strength
    client.force_login(anna)
    tomorrow = timezone.localdate() + timedelta(days=2)
    response = client.post(
        reverse("person_log", args=[person.pk]),
        {"kind": "phone", "day": tomorrow.isoformat()},
        headers={"HX-Request": "true"},
    )
    assert response.context["result"] is None
    assert response.context["form"].errors["day"]
    assert relationship_between(anna, anna.person, person).strength == before


def test_colleague_cannot_log_with_a_private_contact(client, jana, annas_private):
    client.force_login(jana)
    response = client.post(
        reverse("person_log", args=[annas_private[0].pk]),
        {"kind": "meeting", "day": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404


# ------------------------------------------------------------------------ organisation
def test_organisation_page_shows_sites_people_coverage_and_risk(client, anna, demo):
    org = _customer_with_people(demo)
    client.force_login(anna)
    page = client.get(reverse("organisation", args=[org.pk])).context["page"]
    staff = Position.objects.filter(organization=org, end_date__isnull=True).count()
    assert page.people_count == staff
    assert {s.pk for s in page.sites} == set(org.sites.values_list("pk", flat=True))
    assert page.coverage, "the demo's own people know someone at each customer"
    for row in page.coverage:
        assert row["ours"] and all(0 < s <= 1 for _, s in row["ours"])
    risk = client.get(reverse("organisation_risk", args=[org.pk])).context["risk"]
    assert risk is not None and risk.people == staff
    assert risk.reached <= staff


def test_other_tenants_organisation_is_a_404(client, anna, outsider):
    org = Organization.objects.create(tenant=outsider.tenant, name="Fremd GmbH")
    client.force_login(anna)
    assert client.get(reverse("organisation", args=[org.pk])).status_code == 404


# ------------------------------------------------------------------------- path finder
def test_path_finder_shows_chains_and_honours_avoid(client, anna, demo):
    org = _customer_with_people(demo)
    target = (
        Person.objects.filter(positions__organization=org, visibility="company")
        .exclude(pk=anna.person_id)
        .first()
    )
    client.force_login(anna)
    response = client.get(reverse("paths"), {"target": target.pk, "hops": 4, "min_strength": 0})
    paths = response.context["paths"]
    assert paths
    assert all(p.steps[-1].person == target for p in paths if p.steps[-1].person)
    first_hop = paths[0].steps[1].person
    if first_hop is not None and first_hop != target:
        avoided = client.get(
            reverse("paths"),
            {"target": target.pk, "hops": 4, "min_strength": 0, "avoid": str(first_hop.pk)},
            headers={"HX-Request": "true"},
        )
        assert b"<html" not in avoided.content
        for path in avoided.context["paths"]:
            assert first_hop not in [s.person for s in path.steps]
    strict = client.get(reverse("paths"), {"target": target.pk, "hops": 1, "min_strength": 0.99})
    assert all(p.hops <= 1 for p in strict.context["paths"])


def test_paths_through_a_private_contact_only_say_ask_the_owner(client, jana, anna, annas_private):
    client.force_login(jana)
    masked = []
    private_ids = {f.pk for f in annas_private}
    bridged = Relationship.objects.filter(visibility="private").exclude(person_a_id=jana.person_id)
    targets = set()
    for rel in bridged:
        for pid in (rel.person_a_id, rel.person_b_id):
            if pid not in private_ids:
                targets.add(pid)
    targets.discard(jana.person_id)
    for target in list(targets)[:5]:
        response = client.get(reverse("paths"), {"target": target, "hops": 4, "min_strength": 0})
        if response.status_code == 404:
            continue
        for friend in annas_private:
            assert reverse("person", args=[friend.pk]).encode() not in response.content
        for path in response.context["paths"] or []:
            assert not {s.person.pk for s in path.steps if s.person} & private_ids
        reach = client.get(reverse("person_reach", args=[target]))
        for friend in annas_private:
            assert reverse("person", args=[friend.pk]).encode() not in reach.content
        for path in reach.context["reach"].mine + reach.context["reach"].team:
            assert not {s.person.pk for s in path.steps if s.person} & private_ids
            masked += [s for s in path.steps if s.person is None]
    # Some best paths do run through Anna's private book: they name only Anna.
    assert masked and all(s.ask.pk == anna.person_id for s in masked)


# ------------------------------------------------------------------------- network view
def test_network_json_ego_has_nodes_edges_and_legend(client, anna):
    client.force_login(anna)
    data = client.get(reverse("network_data")).json()
    ids = {n["id"] for n in data["nodes"]}
    assert str(anna.person_id) in ids
    assert any(n["me"] for n in data["nodes"])
    assert data["edges"] and all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert all(0 < e["strength"] <= 1 for e in data["edges"])
    assert data["legend"] and all(item["color"].startswith("#") for item in data["legend"])


def test_network_json_never_contains_a_colleagues_private_contact(
    client, jana, anna, annas_private, demo
):
    private = {str(f.pk) for f in annas_private}
    client.force_login(jana)
    org = _customer_with_people(demo)
    for params in (
        {},
        {"mode": "organization", "org": org.pk},
        {"mode": "community"},
        {"mode": "ego", "color": "community"},
    ):
        body = client.get(reverse("network_data"), params).content.decode()
        data = json.loads(body)
        assert not {n["id"] for n in data["nodes"]} & private, params
        for friend in annas_private:
            assert friend.last_name not in body or friend.last_name in {
                n["label"].split()[-1] for n in data["nodes"]
            }
    client.force_login(anna)
    mine = {n["id"] for n in client.get(reverse("network_data")).json()["nodes"]}
    assert mine & private


def test_network_json_rejects_bad_input(client, anna, outsider):
    client.force_login(anna)
    assert client.get(reverse("network_data"), {"mode": "x"}).status_code == 404
    assert client.get(reverse("network_data"), {"min": "much"}).status_code == 400
    foreign = Organization.objects.create(tenant=outsider.tenant, name="Fremd GmbH")
    response = client.get(reverse("network_data"), {"mode": "organization", "org": foreign.pk})
    assert response.status_code == 404


def test_network_min_strength_drops_weak_edges(client, anna):
    client.force_login(anna)
    data = client.get(reverse("network_data"), {"min": "0.5"}).json()
    assert all(e["strength"] >= 0.5 for e in data["edges"])


# ------------------------------------------------------------------------------ import
VCARDS = """BEGIN:VCARD
VERSION:3.0
N:Quast;Ottilie;;;
FN:Ottilie Quast
ORG:Quast Feinmechanik GmbH
TITLE:Einkaufsleiterin
EMAIL:ottilie.quast@quast-feinmechanik.de
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Überall;Björn;;;
FN:Björn Überall
EMAIL:bjoern@ueberall.example
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:
END:VCARD
"""


def test_import_of_a_vcard_reports_and_lists_the_new_people(client, anna):
    client.force_login(anna)
    upload = SimpleUploadedFile("kontakte.vcf", VCARDS.encode(), content_type="text/vcard")
    response = client.post(reverse("import"), {"file": upload}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report["people"]["created"] == 2
    assert report["problems"]  # the card without a name
    names = {p.full_name for p in response.context["people"]}
    assert names == {"Ottilie Quast", "Björn Überall"}
    assert "kontakte.vcf" in response.content.decode()
    again = client.post(
        reverse("import"),
        {"file": SimpleUploadedFile("kontakte.vcf", VCARDS.encode())},
    )
    assert again.context["report"]["people"]["created"] == 0
    # The job page answers the same report later (what the polling page shows at the end).
    job = again.context["job"]
    later = client.get(reverse("import_job", args=[job.pk]))
    assert later.context["report"]["people"]["created"] == 0
    assert "kontakte.vcf" in later.content.decode()


def test_a_running_import_shows_its_progress_and_is_mine_alone(client, anna, jana):
    from geflecht.importers.models import ImportJob

    job = ImportJob.objects.create(
        tenant_id=anna.tenant_id,
        owner=anna,
        file_name="gross.mbox",
        bytes_total=1000,
        bytes_done=250,
        entries_done=1234,
    )
    client.force_login(anna)
    html = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'value="25"' in html and "1234" in html
    assert f'hx-get="{reverse("import_job", args=[job.pk])}"' in html  # it asks again
    client.force_login(jana)
    assert client.get(reverse("import_job", args=[job.pk])).status_code == 404


def test_an_import_that_breaks_says_why_and_leaves_no_file(client, anna, monkeypatch, settings):
    from geflecht.importers import jobs

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "import_file", explode)
    client.force_login(anna)
    upload = SimpleUploadedFile("kontakte.vcf", VCARDS.encode())
    response = client.post(reverse("import"), {"file": upload}, headers={"HX-Request": "true"})
    assert "disk full" in response.content.decode()
    assert response.context["job"].status == "failed"
    assert not list((settings.DATA_DIR / "imports").iterdir())


def test_private_import_stays_invisible_to_colleague(client, anna, jana):
    client.force_login(anna)
    upload = SimpleUploadedFile("privat.vcf", VCARDS.encode())
    client.post(reverse("import"), {"file": upload, "private": "on"})
    quast = Person.objects.get(last_name="Quast")
    assert quast.visibility == "private"
    client.force_login(jana)
    assert client.get(reverse("person", args=[quast.pk])).status_code == 404
    hits = client.get(reverse("search"), {"q": "Ottilie Quast"}).context["hits"]
    assert quast.pk not in {h.id for h in hits if h.kind == "person"}


def test_duplicates_review_lists_and_merges(client, anna, demo):
    a = Person.objects.create(tenant=demo.tenant, first_name="Gundula", last_name="Pfefferkorn")
    b = Person.objects.create(tenant=demo.tenant, first_name="Gundula", last_name="Pfeferkorn")
    client.force_login(anna)
    pairs = client.get(reverse("duplicates")).context["pairs"]
    pair = next(p for p in pairs if {p.keep.pk, p.other.pk} == {a.pk, b.pk})
    response = client.post(reverse("duplicates"), {"keep": pair.keep.pk, "other": pair.other.pk})
    assert response.status_code == 302
    assert Person.objects.filter(pk__in=[a.pk, b.pk]).count() == 1
    after = client.get(reverse("duplicates")).context["pairs"]
    assert not [p for p in after if {p.keep.pk, p.other.pk} == {a.pk, b.pk}]


def test_colleague_cannot_merge_a_private_contact(client, jana, annas_private, demo):
    other = Person.objects.create(tenant=demo.tenant, first_name="X", last_name="Y")
    client.force_login(jana)
    response = client.post(reverse("duplicates"), {"keep": other.pk, "other": annas_private[0].pk})
    assert response.status_code == 404
    assert Person.objects.filter(pk=annas_private[0].pk).exists()


# --------------------------------------------------------------------- language & auth
def test_language_follows_the_browser_and_the_switch(client, anna):
    client.force_login(anna)
    english = client.get(reverse("home"), headers={"Accept-Language": "en"})
    assert "Time to reconnect" in english.content.decode()
    german = client.get(reverse("home"), headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Zeit, sich wieder zu melden" in german.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    switched = client.get(reverse("home"), headers={"Accept-Language": "de"})
    assert "Time to reconnect" in switched.content.decode()


def test_password_change(client, anna):
    client.force_login(anna)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "Neu-Geflecht-2026!",
            "new_password2": "Neu-Geflecht-2026!",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    anna.set_password("Alt-Geflecht-2026!")
    anna.save()
    client.force_login(anna)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "Alt-Geflecht-2026!",
            "new_password1": "Neu-Geflecht-2026!",
            "new_password2": "Neu-Geflecht-2026!",
        },
    )
    assert response.status_code == 302
    anna.refresh_from_db()
    assert anna.check_password("Neu-Geflecht-2026!")


# ------------------------------------------------------------------------ query counts
@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("home", 10),
        ("overview", 8),
        ("reconnect", 12),
        ("new_ties", 14),
        ("search", 8),
        ("person", 20),
        ("reach", 24),
        ("timeline", 8),
        ("organisation", 17),
        ("risk", 8),
        ("paths", 14),
        ("network_data", 7),
        ("duplicates", 7),
    ],
)
def test_pages_run_a_bounded_number_of_queries(
    client, anna, demo, name, limit, django_assert_max_num_queries
):
    person = _shared_contact(anna)
    org = _customer_with_people(demo)
    url = {
        "home": reverse("home"),
        "overview": reverse("dashboard_overview"),
        "reconnect": reverse("dashboard_reconnect"),
        "new_ties": reverse("dashboard_new_ties"),
        "search": reverse("search") + "?q=Weber",
        "person": reverse("person", args=[person.pk]),
        "reach": reverse("person_reach", args=[person.pk]),
        "timeline": reverse("person_timeline", args=[anna.person_id]),
        "organisation": reverse("organisation", args=[org.pk]),
        "risk": reverse("organisation_risk", args=[org.pk]),
        "paths": reverse("paths") + f"?target={person.pk}&hops=4&min_strength=0",
        "network_data": reverse("network_data"),
        "duplicates": reverse("duplicates"),
    }[name]
    client.force_login(anna)
    client.get(url)  # warm the graph snapshot and the search index
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200


def test_private_notes_on_a_person_are_mine_alone(client, anna, jana):
    person = _shared_contact(anna)
    url = reverse("person_notes", args=[person.pk])
    client.force_login(anna)
    added = client.post(url, {"text": "Mag keine Anrufe vor 9"}, headers={"HX-Request": "true"})
    assert added.status_code == 200
    assert "Mag keine Anrufe vor 9" in added.content.decode()
    assert (
        "Mag keine Anrufe vor 9" in client.get(reverse("person", args=[person.pk])).content.decode()
    )
    empty = client.post(url, {"text": "   "}, headers={"HX-Request": "true"})
    assert 'class="error"' in empty.content.decode()

    client.force_login(jana)
    assert (
        "Mag keine Anrufe vor 9"
        not in client.get(reverse("person", args=[person.pk])).content.decode()
    )
    note_id = person.private_notes.get().pk
    # Jana cannot delete Anna's note: it looks like a missing one.
    refused = client.post(url, {"delete": str(note_id)}, headers={"HX-Request": "true"})
    assert "does not exist" in refused.content.decode()
    assert person.private_notes.count() == 1

    client.force_login(anna)
    client.post(url, {"delete": str(note_id)})
    assert person.private_notes.count() == 0


@pytest.mark.parametrize(
    ("lang", "short", "long"),
    [("en", "03/11/2026", "3 Nov 2026, 14:30"), ("de", "03.11.2026", "3. November 2026 14:30")],
)
def test_dates_read_the_european_way_in_both_languages(lang, short, long):
    from datetime import datetime

    from django.utils import formats, translation

    when = datetime(2026, 11, 3, 14, 30)
    with translation.override(lang):
        assert formats.date_format(when, "SHORT_DATE_FORMAT") == short
        assert formats.date_format(when, "DATETIME_FORMAT") == long


def test_global_search_finds_skills_in_either_language_and_leads_to_the_experts(client, anna, demo):
    client.force_login(anna)
    for query in ("Spritzgus", "injection moulding"):
        hits = client.get(reverse("search"), {"q": query}).context["hits"]
        skills = [h for h in hits if h.kind == "skill"]
        assert skills and skills[0].label == "Spritzguss", query
    page = client.get(reverse("search"), {"q": "injection moulding"}).content.decode()
    assert f"{reverse('experts')}?q=Spritzguss" in page
    suggest = client.get(reverse("search_suggest"), {"q": "Spritzguss"}).content.decode()
    assert "Spritzguss" in suggest
    # A name with a place stays a people search.
    hits = client.get(reverse("search"), {"q": "Weber Ulm"}).context["hits"]
    assert not [h for h in hits if h.kind == "skill"]
