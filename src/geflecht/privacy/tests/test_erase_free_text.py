"""Art. 17 and what others wrote: after an erasure no note, comment or description about
someone else still names the erased person; the rest of the text stays."""

from __future__ import annotations

from datetime import date

from geflecht.events.models import Event, EventTarget
from geflecht.partners.models import JointProject, Rating
from geflecht.people.actions import add_private_note
from geflecht.people.models import Organization, Person, PrivateNote
from geflecht.privacy.actions import erase_person
from geflecht.projects.models import Project
from geflecht.skills.models import Endorsement, PersonSkill, Skill


def test_notes_and_comments_about_others_lose_the_erased_persons_name(
    world, tenant, owner, colleague, admin
):
    weber = world.weber
    note = add_private_note(colleague, weber, "Kennt Herrn Zwölfhaus vom Studium.")
    Person.objects.filter(pk=weber.pk).update(notes="Vertritt Herrn Zwoelfhaus im Urlaub.")
    acme = Organization.objects.get(name="ACME Maschinenbau")
    project = Project.objects.create(
        tenant=tenant, organization=acme, name="Retrofit",
        description="Ansprechpartner: max.zwoelfhaus@acme.example",
    )  # fmt: skip
    partner = Organization.objects.create(tenant=tenant, name="Titan Partner", kind="partner")
    joint = JointProject.objects.create(
        tenant=tenant, partner=partner, title="Gehäuse für Zwölfhaus",
        start_date=date(2026, 1, 5), end_date=date(2026, 3, 1), status="finished",
        notes="Abnahme durch Zwölfhaus",
    )  # fmt: skip
    rating = Rating.objects.create(
        tenant=tenant, project=joint, by=owner, quality=5, on_time=4, communication=5,
        comment="Zwölfhaus war zufrieden",
    )  # fmt: skip
    fair = Event.objects.create(
        tenant=tenant, name="EMO", start_date=date(2027, 9, 13), end_date=date(2027, 9, 18)
    )
    target = EventTarget.objects.create(
        tenant=tenant, event=fair, person=weber, chosen_by=owner, note="über Zwölfhaus vorgestellt"
    )
    skill = Skill.objects.create(tenant=tenant, key="cad", name_de="CAD", name_en="CAD")
    held = PersonSkill.objects.create(
        tenant=tenant, person=weber, skill=skill, note="gelernt bei Zwölfhaus"
    )
    endorsement = Endorsement.objects.create(
        tenant=tenant, person_skill=held, by=owner, comment="Laut Zwölfhaus der Beste"
    )

    erase_person(admin, world.subject)

    def fresh(obj, field):
        return getattr(type(obj).objects.get(pk=obj.pk), field)

    assert fresh(note, "text") == "Kennt Herrn [erased] vom Studium."
    assert PrivateNote.objects.get(pk=note.pk).owner_id == colleague.pk
    assert fresh(weber, "notes") == "Vertritt Herrn [erased] im Urlaub."
    assert fresh(project, "description") == "Ansprechpartner: [erased]"
    assert fresh(joint, "title") == "Gehäuse für [erased]"
    assert fresh(joint, "notes") == "Abnahme durch [erased]"
    assert fresh(rating, "comment") == "[erased] war zufrieden"
    assert fresh(target, "note") == "über [erased] vorgestellt"
    assert fresh(held, "note") == "gelernt bei [erased]"
    assert fresh(endorsement, "comment") == "Laut [erased] der Beste"


def test_a_last_name_shared_with_someone_else_is_erased_only_with_the_first_name(
    world, tenant, owner, colleague, admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from geflecht.people.actions import create_person
    from geflecht.projects.actions import create_project, upload_document
    from geflecht.projects.models import DocumentVersion

    maria = create_person(colleague, first_name="Maria", last_name="Weber")
    note = add_private_note(colleague, world.kuehn, "Klaus Weber und Maria Weber sind Geschwister.")
    acme = Organization.objects.get(name="ACME Maschinenbau")
    project = create_project(owner, acme, name="Retrofit")
    kept = upload_document(
        owner,
        project,
        SimpleUploadedFile("a.txt", b"Herr Weber (Klaus) nimmt ab."),
        title="Abnahme",
    )

    erase_person(admin, maria)

    assert PrivateNote.objects.get(pk=note.pk).text == "Klaus Weber und [erased] sind Geschwister."
    assert DocumentVersion.objects.filter(pk=kept.pk).exists()  # Klaus Weber is still here
