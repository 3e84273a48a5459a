"""Five personas try every door on Anna's records; each finds exactly what the rule allows.

The routes are not listed by hand: every URL pattern of the project (web pages, API,
admin) is walked with GET, and every write operation of the API's OpenAPI document and
every web and admin form is sent a body that passes validation, so a new page or
endpoint is tested the day it is added; path parameters name kinds of record
(:func:`_kind`). Anna keeps three sets of records of each kind with an id in a URL
(people, ties, interactions, firms, sites, jobs, projects with their members and
documents, joint projects and their ratings, fair targets and visits, skills and
capabilities; her own notes, requests, imports and tokens): private ones, team ones (a
team she shares with Tom and Rita, not with Jana), and company-wide ones.

- Anna, the owner, sees all three: the status a company-wide record gets, and her
  record's name on its detail page;
- Tom, her team-mate, sees the team and company sets, her private set exactly like ids
  that do not exist;
- Jana, a colleague outside the team (staff, with the admin's permissions), sees the
  company set only;
- Rita, read-only and in Anna's team, reads like Tom; every write is refused: 403 for
  what she sees, the answer for a missing id for what she does not;
- Olaf, the admin of another tenant, sees nothing of Anna's tenant, not even her
  company-wide records, and no name of it shows anywhere.

"Exactly like a missing id": the same status, and no name of a hidden record anywhere in
the answer (no 403 that confirms it exists). After each walk the database is unchanged.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from geflecht.accounts.actions import create_token
from geflecht.accounts.models import Team, User
from geflecht.api.main import api
from geflecht.api.tests.conftest import build_world
from geflecht.api.tests.test_read_only_writes import OPEN_TO_READERS, _body, _snapshot
from geflecht.capture.models import ConnectedAccount
from geflecht.conftest import (
    create_colleague,
    create_other_tenant,
    create_outsider,
    create_own_company,
    create_owner,
    create_tenant,
)
from geflecht.events.models import Attendance, Event, EventTarget
from geflecht.importers.models import ImportJob
from geflecht.intros.models import IntroRequest
from geflecht.network.actions import record_interaction
from geflecht.network.models import Interaction, Relationship
from geflecht.partners import actions as partner_actions
from geflecht.partners.models import JointProject, Rating
from geflecht.people import queries
from geflecht.people.actions import organization_etag
from geflecht.people.models import Organization, Person, Position, PrivateNote, Site
from geflecht.projects import actions as project_actions
from geflecht.projects.models import Project, ProjectMember
from geflecht.skills.models import OrganizationCapability, PersonSkill, Skill

SECRETS = (
    "Geheimnisvoll",
    "Gerlinde",
    "gerlinde@privat.example",
    "Privates Abendessen",
    "Zahlt schlecht",  # Anna's private note on the shared Dr. Weber
    "Verborgene Werkstatt",  # the firm Anna's private contact works at
    "Geheimweiler",  # its site's town
    "Geheimprojekt",
    "Geheimangebot",  # the private project's document
    "Geheimes Frästeil",  # a joint project with the private firm
)
TEAM_SECRETS = (
    "Teamgeheim",
    "Tessa",
    "Teamsitzung unter uns",
    "Team Werkstatt",  # the firm Anna's team contact works at
    "Teamhausen",  # its site's town
    "Teamprojekt",
    "Teamangebot",
    "Team-Frästeil",
)
#: Anna's company-wide records: her colleagues see them, another tenant never does.
SHARED_NAMES = (
    "Weber",
    "ACME",
    "Donautal",  # ACME's site
    "Angebot Messmaschine",
    "Linie Ulm",  # the shared project
    "Stammangebot",  # its document
    "Rahmenfräsen",  # a joint project with ACME
    "AMB Stuttgart",  # the tenant's fair
    "Brenner",  # the tenant and its own company
    "Schmidt",  # Anna
    "Becker",  # Jana
)
MISSING_ID = 987_654_321
# Parameters a page or endpoint might read a search or target from. The probes are typos
# and prefixes of the secret name (pages may echo what was asked, never what was found).
QUERY = "q=Geheimnisvol&text=Geheimnisvol&term=Geheimni&name=Gerlind&target={pid}&person_id={pid}"
TEAM_QUERY = "q=Teamgehei&text=Teamgehei&term=Teamgeh&name=Tess&target={pid}&person_id={pid}"
SHARED_QUERY = "q=Webe&text=Webe&term=Web&name=Klau&target={pid}&person_id={pid}"
#: The apps whose admin pages are walked (Jana has every permission on their models).
ADMIN_APPS = ("people", "network", "accounts", "projects", "events", "partners", "intros",
              "skills", "privacy")  # fmt: skip
# The admin's object pages all find the object with ModelAdmin.get_object: its change and
# delete pages are walked, not the history (only the admin's log) or the bare redirect.
SKIP = re.compile(
    rf"^(static/|i18n/|admin/(?!{'|'.join(ADMIN_APPS)}))|jsi18n|logout"
    r"|^admin/.*<object_id>/(history/)?$|^api/v1/(openapi|docs)"
)
#: Path parameters that are not ids of a record: the same value for every set.
FIXED = {"number": "1", "action": "decline"}
#: The admin's object_id, by the model in the route.
_ADMIN_KINDS = {
    "person": "person",
    "organization": "organization",
    "site": "site",
    "position": "position",
    "relationship": "relationship",
    "interaction": "interaction",
    "project": "project",
    "document": "document",
    "event": "event",
    "attendance": "attendance",
    "eventtarget": "target",
    "introrequest": "request",
    "skill": "skill",
    "personskill": "personskill",
    "organizationcapability": "capability",
    "jointproject": "joint_project",
    "rating": "rating",
    "tenant": "tenant",
    "user": "user",
}
#: Other path parameters by a word in their name (person_id, rel_id, org_id, ...).
_PARAM_KINDS = (
    ("person", "person"),
    ("rel", "relationship"),
    ("interaction", "interaction"),
    ("position", "position"),
    ("org", "organization"),
    ("site", "site"),
    ("member", "member"),
    ("document", "document"),
    ("event", "event"),
    ("target", "target"),
    ("request", "request"),
    ("note", "note"),
    ("job", "job"),
    ("import", "job"),
    ("account", "account"),
    ("token", "token"),
    ("skill", "skill"),
)
#: Who sees which of Anna's sets; every other set must look like missing ids to them.
SEES = {
    "owner": ("private", "team", "shared"),
    "team_mate": ("team", "shared"),
    "colleague": ("shared",),
    "reader": ("team", "shared"),
    "outsider": (),
}
SETS = ("shared", "private", "team")
READ_ONLY = ("Your account is read-only.", "Ihr Konto darf nur lesen.")


def _routes(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route.lstrip("^").rstrip("$")


@functools.cache
def _walked_routes() -> tuple[str, ...]:
    """Every route once (the API has one pattern per operation, several per path)."""
    routes = (r.replace("<path:object_id>", "<object_id>") for r in _routes())
    return tuple(dict.fromkeys(r for r in routes if not SKIP.search(r)))


@functools.cache
def _write_operations() -> tuple[tuple[str, str, dict], ...]:
    return tuple(
        (method, path, operation)
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch", "delete")
    )


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


def _params(route: str) -> list[str]:
    """The parameters of a route (``<int:person_id>``) or an OpenAPI path (``{person_id}``)."""
    return [a or b for a, b in _PARAM.findall(route)]


def _fill(route: str, values: dict[str, int | str]) -> str:
    return _PARAM.sub(lambda m: str(values[m[1] or m[2]]), route)


def _kind(route: str, param: str) -> str | None:
    """Which kind of record a path parameter names: the admin's object_id by the model in
    the route, a project_id by the route (joint projects are the partners' own), every
    other parameter by its name (person_id, rel_id, org_id, ...)."""
    if param == "object_id":
        return _ADMIN_KINDS.get(route.split("/")[2])
    if param == "project_id":
        return "joint_project" if "joint-projects" in route else "project"
    return next((kind for word, kind in _PARAM_KINDS if word in param), None)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n", "application/pdf")


def _records(owner, person, firm, *, visibility: str, names: tuple[str, str, str], shared=None):
    """A set's records beyond people: a project at ACME of ``visibility`` with Anna and
    ``person`` on its teams and a document, a finished joint project with ``firm`` (with
    ``person`` as a contact, rated by Anna), ``person`` at the fair, on its target list
    and with a skill, and ``firm`` capable of it. With the ``shared`` set's records,
    ``person`` also stands next to them: on the shared project's buying team and the
    shared joint project's contacts, where whoever may not see them must not find them."""
    tenant_id, (project_name, document, joint_title) = owner.tenant_id, names
    acme = Organization.objects.get(tenant_id=tenant_id, name__startswith="ACME")
    if shared is None:
        skill = Skill.objects.create(
            tenant_id=tenant_id, key="fraesen", name_de="Fräsen", name_en="Milling"
        )
        today = timezone.localdate()
        fair = Event.objects.create(
            tenant_id=tenant_id,
            name="AMB Stuttgart",
            start_date=today + timedelta(days=20),
            end_date=today + timedelta(days=23),
            city="Stuttgart",
            created_by=owner,
        )
    else:
        skill, fair = Skill.objects.get(pk=shared["skill"]), Event.objects.get(pk=shared["event"])
        ProjectMember.objects.create(
            tenant_id=tenant_id, project_id=shared["project"], person=person, side="theirs",
            role="user",
        )  # fmt: skip
        JointProject.objects.get(pk=shared["joint_project"]).their_people.add(person)
    project = Project.objects.create(
        tenant_id=tenant_id, organization=acme, name=project_name, visibility=visibility,
        owner=owner,
    )  # fmt: skip
    member = ProjectMember.objects.create(
        tenant_id=tenant_id, project=project, person=owner.person, side="ours", role="sales"
    )
    ProjectMember.objects.create(
        tenant_id=tenant_id, project=project, person=person, side="theirs", role="decision_maker"
    )
    version = project_actions.upload_document(
        owner, project, _pdf(f"{document.lower()}.pdf"), title=document
    )
    joint = partner_actions.create_joint_project(
        owner, partner_id=firm.pk, title=joint_title, start_date=date(2024, 1, 1),
        end_date=date(2024, 6, 1), status="finished", their_people=[person.pk],
    )  # fmt: skip
    rating = Rating.objects.create(
        tenant_id=tenant_id, project=joint, by=owner, quality=4, on_time=4, communication=4
    )
    at_fair = {"tenant_id": tenant_id, "event": fair, "person": person}
    return {
        "project": project.pk,
        "member": member.pk,
        "document": version.document_id,
        "joint_project": joint.pk,
        "rating": rating.pk,
        "attendance": Attendance.objects.create(**at_fair).pk,
        "target": EventTarget.objects.create(**at_fair, chosen_by=owner).pk,
        "capability": OrganizationCapability.objects.create(
            tenant_id=tenant_id, organization=firm, skill=skill, level=4
        ).pk,
        "personskill": PersonSkill.objects.create(
            tenant_id=tenant_id, person=person, skill=skill, level=4
        ).pk,
        # The tenant's fair and skill are everyone's: only the shared set names them.
        **({"skill": skill.pk, "event": fair.pk} if shared is None else {}),
    }


def _shared_set(world, owner) -> dict[str, int]:
    """Ids of records everyone in the tenant sees, next to which a hidden record could
    show: Dr. Weber, his tie to Anna and their meeting, ACME and its site, a project at
    ACME, the fair, a joint project with ACME; Anna's tenant and her login."""
    weber = world["weber"]
    Site.objects.filter(pk=world["ulm"].pk).update(name="Werk Ulm-Donautal")
    return {
        **_records(
            owner,
            weber,
            world["acme"],
            visibility="company",
            names=("Linie Ulm", "Stammangebot", "Rahmenfräsen"),
        ),
        "person": weber.pk,
        "relationship": Relationship.objects.get(
            person_a_id=min(owner.person_id, weber.pk), person_b_id=max(owner.person_id, weber.pk)
        ).pk,
        "interaction": Interaction.objects.get(subject="Angebot Messmaschine").pk,
        "organization": world["acme"].pk,
        "site": world["ulm"].pk,
        "position": weber.positions.get().pk,
        "tenant": owner.tenant_id,
        "user": owner.pk,
    }


def _private_set(world, owner, shared) -> dict[str, int]:
    """Anna's private contact, her job at Anna's private firm and its site, their tie and
    dinner, Anna's note on the shared Weber, her request, import and token."""
    secret = world["secret"]
    secret.emails.create(email="gerlinde@privat.example")
    note = PrivateNote.objects.create(
        tenant_id=owner.tenant_id, person=world["weber"], owner=owner, text="Zahlt schlecht"
    )
    rel = Relationship.objects.filter(visibility="private", owner=owner)[:1].get()
    interaction = Interaction.objects.get(subject="Privates Abendessen")
    # Her private import brought the firm her private contact works at: it stays hers.
    firm = Organization.objects.create(
        tenant_id=owner.tenant_id,
        name="Verborgene Werkstatt GmbH",
        kind="partner",
        visibility="private",
        owner=owner,
    )
    site = Site.objects.create(
        tenant_id=owner.tenant_id, organization=firm, name="Werk Geheimweiler", city="Geheimweiler"
    )
    job = Position.objects.create(
        tenant_id=owner.tenant_id, person=secret, organization=firm, site=site, title="Chefin"
    )
    names = ("Geheimprojekt Sonde", "Geheimangebot", "Geheimes Frästeil")
    return {
        **_records(owner, secret, firm, visibility="private", names=names, shared=shared),
        "person": secret.pk,
        "relationship": rel.pk,
        "interaction": interaction.pk,
        "organization": firm.pk,
        "site": site.pk,
        "position": job.pk,
        # Hers alone, whatever their visibility: her note, request, import and token.
        "note": note.pk,
        "request": IntroRequest.objects.create(
            tenant_id=owner.tenant_id,
            requester=owner,
            broker=world["weber"],
            target=secret,
            message="Bitte stellen Sie mich Gerlinde vor.",
        ).pk,
        "job": ImportJob.objects.create(
            tenant_id=owner.tenant_id, owner=owner, file_name="gerlinde.vcf", status="done"
        ).pk,
        "token": create_token(owner, "Adressbuch")[0].pk,
        "account": ConnectedAccount.objects.create(
            tenant_id=owner.tenant_id,
            owner=owner,
            kind="carddav",
            server="https://dav.geheimweiler.example/",
            username="gerlinde",
        ).pk,
    }


def _team_mate(tenant, owner) -> User:
    """Tom shares the team "Vertrieb Süd" with Anna; Jana is in no team with her."""
    person = Person.objects.create(tenant=tenant, first_name="Tom", last_name="Keller")
    tom = User.objects.create_user("tom", tenant=tenant, person=person)
    Team.objects.create(tenant=tenant, name="Vertrieb Süd").members.add(owner, tom)
    return tom


def _team_set(world, owner, shared) -> dict[str, int]:
    """Anna's team-visible contact with her employer, their tie and a meeting."""
    tenant_id = owner.tenant_id
    firm = Organization.objects.create(
        tenant_id=tenant_id,
        name="Team Werkstatt KG",
        kind="partner",
        visibility="team",
        owner=owner,
    )
    site = Site.objects.create(
        tenant_id=tenant_id, organization=firm, name="Werk Teamhausen", city="Teamhausen"
    )
    tessa = Person.objects.create(
        tenant_id=tenant_id,
        first_name="Tessa",
        last_name="Teamgeheim",
        visibility="team",
        owner=owner,
    )
    job = Position.objects.create(
        tenant_id=tenant_id, person=tessa, organization=firm, site=site, title="Leiterin"
    )
    x, y = sorted([owner.person_id, tessa.pk])
    rel = Relationship.objects.create(
        tenant_id=tenant_id, person_a_id=x, person_b_id=y, visibility="team", owner=owner
    )
    # She also works at the shared ACME and met the shared Dr. Weber with Anna: the
    # customer's page, Weber's page and his timeline must still leave her out.
    Position.objects.create(tenant_id=tenant_id, person=tessa, organization=world["acme"])
    record_interaction(
        tenant=owner.tenant,
        recorded_by=owner,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=2),
        participants=[
            (owner.person_id, "organiser"),
            (world["weber"].pk, "attendee"),
            (tessa.pk, "attendee"),
        ],
        subject="Abnahme",
    )
    meeting = record_interaction(
        tenant=owner.tenant,
        recorded_by=owner,
        kind="meeting",
        visibility="team",
        occurred_at=timezone.now() - timedelta(days=1),
        participants=[(owner.person_id, "organiser"), (tessa.pk, "attendee")],
        subject="Teamsitzung unter uns",
    )
    names = ("Teamprojekt Taster", "Teamangebot", "Team-Frästeil")
    return {
        **_records(owner, tessa, firm, visibility="team", names=names, shared=shared),
        "person": tessa.pk,
        "relationship": rel.pk,
        "interaction": meeting.pk,
        "organization": firm.pk,
        "site": site.pk,
        "position": job.pk,
    }


@dataclass
class RecordSet:
    """Anna's records of one visibility: ids by kind, the names that must not show where
    the set is hidden, the probe that searches for it, what its detail pages show."""

    ids: dict[str, int]
    secrets: tuple[str, ...]
    probe: str
    names: dict[str, str] = field(default_factory=dict)

    def query(self) -> str:
        return self.probe.format(pid=self.ids["person"])


@dataclass
class Doors:
    sets: dict[str, RecordSet]
    users: dict[str, User]

    def route_ids(self, name: str, route: str) -> tuple[dict, dict] | None:
        """The path values of ``route`` with set ``name``'s records and with missing ids
        in their place, or None when the route names no record of the set. A parameter
        the set has no record of takes the shared set's (the fair, a skill)."""
        seen: dict = {}
        missing: dict = {}
        own = False
        for param in _params(route):
            kind = _kind(route, param)
            if param in FIXED:
                seen[param] = missing[param] = FIXED[param]
            elif kind in self.sets[name].ids:
                seen[param], missing[param], own = self.sets[name].ids[kind], MISSING_ID, True
            elif kind in self.sets["shared"].ids:
                seen[param] = missing[param] = self.sets["shared"].ids[kind]
            else:
                return None
        return (seen, missing) if own else None

    def body_ids(self, name: str, user: User, *, missing: bool) -> dict:
        """The ids a write's body names (see test_read_only_writes._body): the set's
        person and organisation (or missing ids), a shared skill, Anna as the other
        person, the caller as the colleague at a fair."""
        own, shared = self.sets[name].ids, self.sets["shared"].ids

        def pick(kind):
            return MISSING_ID if missing and kind in own else own.get(kind, shared[kind])

        org = Organization.objects.filter(pk=pick("organization")).first()
        return {
            "person_id": pick("person"),
            "organization_id": pick("organization"),
            "skill_id": shared["skill"],
            "other_person_id": self.users["owner"].person_id,
            "colleague_id": user.person_id,
            "org_etag": organization_etag(org) if org else "0",
        }


def _build_doors() -> Doors:
    """The three sets and the five personas. Jana is staff with the admin's permissions
    on the project's models (the admin scopes rows like every other door), Olaf the
    admin of another tenant with a person of his own; Rita is read-only and in Anna's
    team."""
    tenant, other_tenant = create_tenant(), create_other_tenant()
    owner, colleague = create_owner(tenant), create_colleague(tenant)
    outsider = create_outsider(other_tenant)
    world = build_world(tenant, create_own_company(tenant), owner, colleague)
    team_mate = _team_mate(tenant, owner)
    shared = _shared_set(world, owner)
    private, team = _private_set(world, owner, shared), _team_set(world, owner, shared)
    reader = User.objects.create_user(
        "rita",
        tenant=tenant,
        role=User.Role.READ_ONLY,
        person=Person.objects.create(tenant=tenant, first_name="Rita", last_name="Roth"),
    )
    Team.objects.get(tenant=tenant, name="Vertrieb Süd").members.add(reader)
    # Anna showed Rita around: Rita has paths to ask along (an introduction's form).
    record_interaction(
        tenant=tenant,
        recorded_by=owner,
        kind="meeting",
        occurred_at=timezone.now() - timedelta(days=5),
        participants=[(owner.person_id, "organiser"), (reader.person_id, "attendee")],
        subject="Einarbeitung",
    )
    colleague.is_staff = True
    colleague.save()
    colleague.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=ADMIN_APPS)
    )
    outsider.person = Person.objects.create(
        tenant=other_tenant, first_name="Olaf", last_name="Olsen"
    )
    outsider.role, outsider.is_staff = User.Role.ADMIN, True
    outsider.save()
    return Doors(
        sets={
            "shared": RecordSet(shared, SHARED_NAMES, SHARED_QUERY),
            "private": RecordSet(
                private,
                SECRETS,
                QUERY,
                {
                    "person": "Geheimnisvoll",
                    "organization": "Verborgene Werkstatt",
                    "site": "Geheimweiler",
                    "interaction": "Privates Abendessen",
                    "project": "Geheimprojekt",
                    "joint_project": "Geheimes Frästeil",
                    "request": "Gerlinde",
                },
            ),
            "team": RecordSet(
                team,
                TEAM_SECRETS,
                TEAM_QUERY,
                {
                    "person": "Teamgeheim",
                    "organization": "Team Werkstatt",
                    "site": "Teamhausen",
                    "interaction": "Teamsitzung unter uns",
                    "project": "Teamprojekt",
                    "joint_project": "Team-Frästeil",
                },
            ),
        },
        users={
            "owner": owner,
            "team_mate": team_mate,
            "colleague": colleague,
            "reader": reader,
            "outsider": outsider,
        },
    )


@pytest.fixture(scope="module")
def _doors(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module inside a transaction rolled back at its end;
    each test runs in a savepoint within it (see web/tests/conftest.py). Its documents
    stay in the module's folder, and nothing runs in the background."""
    documents = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path_factory.mktemp("documents"))},
    }
    requests = logging.getLogger("django.request")
    level, requests.level = requests.level, logging.ERROR  # thousands of 404s: not news
    with (
        django_db_blocker.unblock(),
        override_settings(
            STORAGES={**settings.STORAGES, "documents": documents},
            GEFLECHT_REFRESH_IN_BACKGROUND=False,
            # Thousands of requests: the session lives in its cookie, not a table.
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        ),
        transaction.atomic(),
    ):
        yield _build_doors()
        transaction.set_rollback(True)
    # Ids are used again after the rollback: no cache may remember this world.
    queries.forget_search_index()
    cache.clear()
    requests.level = level


@pytest.fixture
def doors(_doors, db) -> Doors:
    return _doors


@pytest.fixture(autouse=True)
def _documents_in_tmp():
    """The module's documents stay where its world put them (overrides the conftest's)."""


class Walk:
    """One persona's client, and what it found wrong."""

    def __init__(self, doors: Doors, persona: str) -> None:
        self.doors, self.persona = doors, persona
        self.user = doors.users[persona]
        self.client = Client()
        self.client.force_login(self.user)
        self.hidden = [name for name in SETS if name not in SEES[persona]]
        self.secrets = tuple(s for name in self.hidden for s in doors.sets[name].secrets)
        # Only the tenant boundary hides Anna's company-wide records from another tenant;
        # her private and team ones, hidden by the visibility rule as well (Jana walks
        # them), add no case: Olaf walks with the shared set's ids and its search, and
        # looks for every set's names.
        self.walked = ["shared"] if "shared" in self.hidden else list(SETS)
        self.problems: list[str] = []
        self.tried = 0
        self._answers: dict = {}

    def call(self, method: str, url: str, data=None, *, multipart=False, cache=False):
        """Answer and body of one request; a 5xx or a hidden name is a problem. With
        ``cache``, a request asked before is answered from memory."""
        key = (method, url, json.dumps(data, sort_keys=True, default=str))
        if cache and key in self._answers:
            return self._answers[key]
        if multipart:
            response = self.client.post(url, {**(data or {}), "file": _pdf("angebot.pdf")})
        elif data is None:
            response = self.client.generic(method.upper(), url)
        else:
            response = self.client.generic(
                method.upper(), url, json.dumps(data), content_type="application/json"
            )
        raw = b"".join(response) if response.streaming else response.content
        body = raw.decode(errors="replace")
        if response.get("Content-Type", "").startswith("application/json") and raw:
            body = json.dumps(json.loads(raw), ensure_ascii=False)  # "Fr\u00e4s" is "Fräs"
        if response.status_code >= 500:
            self.problems.append(f"{method.upper()} {url}: {response.status_code}")
        for secret in self.secrets:
            if secret in body:
                self.problems.append(f"{method.upper()} {url} shows {secret!r}")
        if cache:
            self._answers[key] = (response, body)
        return response, body

    def like_missing(self, what: str, seen, absent, swapped=()) -> None:
        """``seen`` (answer, body) must be ``absent``'s: the same status and, for JSON,
        the same body once the ``swapped`` ids are read as the missing id."""
        (seen, seen_body), (absent, absent_body) = seen, absent
        if seen.status_code != absent.status_code:
            self.problems.append(
                f"{self.persona} {what}: {seen.status_code}, a missing id {absent.status_code}"
            )
        elif all(r.get("Content-Type", "").startswith("application/json") for r in (seen, absent)):
            for pk in swapped:
                seen_body = re.sub(rf"(?<!\d){pk}(?!\d)", str(MISSING_ID), seen_body)
            if seen_body != absent_body:
                self.problems.append(f"{self.persona} {what}: {seen_body} vs. {absent_body}")

    def report(self) -> str:
        return f"{len(self.problems)} problems:\n" + "\n".join(dict.fromkeys(self.problems))


def _swapped(seen: dict, missing: dict) -> list:
    """The ids in ``seen`` that ``missing`` has the missing id in place of."""
    return [value for key, value in seen.items() if missing[key] == MISSING_ID]


def _is_detail(route: str) -> bool:
    """A page or endpoint of one record (ending in its id), whose answer names it."""
    return not route.startswith("admin/") and bool(re.search(r"<(?:int:)?\w+_id>/?$", route))


def _admin_delete(route: str) -> bool:
    return route.startswith("admin/") and route.endswith("/delete/")


def _read_walk(walk: Walk) -> None:
    """GET every route. Without ids: with the probe of each hidden set (a form page once).
    With ids: with each set's records, a visible record's page with a probe for a hidden
    one, a hidden record next to missing ids. An admin's delete page (which finds the
    object as its change page does) only with shared records, for what it would take
    along."""
    doors = walk.doors
    probes = [doors.sets[name].query() for name in walk.hidden if name in walk.walked]
    for route in _walked_routes():
        if route.startswith("admin/") and not walk.user.is_staff:
            continue  # the admin sends everyone else to its login page
        if not probes and not _params(route):
            continue  # nothing is hidden from the owner: no search to try
        if not _params(route):
            # (The admin scopes its rows before it searches them: one probe is enough.)
            for probe in probes[:1] if route.startswith("admin/") else probes:
                walk.call("get", f"/{route}?{probe}")
            walk.tried += 1
            continue
        sets = {
            name: values
            for name in walk.walked
            if (values := doors.route_ids(name, route)) is not None
        }
        if not sets:
            continue
        probe = f"?{probes[0]}" if probes else ""
        seen_ids, missing_ids = next(iter(sets.values()))
        first = (
            f"/{_fill(route, missing_ids)}"
            if any(name in walk.hidden for name in sets)
            else f"/{_fill(route, seen_ids)}{probe}"
        )
        if walk.call("get", first, cache=True)[0].status_code == 405:
            continue  # a route only written to refuses a GET before it looks anything up
        walk.tried += 1
        shared_status = None
        for name, (seen_ids, missing_ids) in sets.items():
            if name in walk.hidden:
                if _admin_delete(route):
                    continue
                walk.like_missing(
                    f"GET {route} [{name}]",
                    walk.call("get", f"/{_fill(route, seen_ids)}"),
                    walk.call("get", f"/{_fill(route, missing_ids)}", cache=True),
                    _swapped(seen_ids, missing_ids),
                )
                continue
            if _admin_delete(route) and name != "shared":
                continue  # what a delete would take along is tried on shared records
            seen, body = walk.call("get", f"/{_fill(route, seen_ids)}{probe}", cache=True)
            if name == "shared":
                shared_status = seen.status_code
            elif shared_status is not None and seen.status_code != shared_status:
                walk.problems.append(
                    f"{walk.persona} GET {route} [{name}]: {seen.status_code}, "
                    f"a shared record {shared_status}"
                )
            shown = doors.sets[name].names.get(_kind(route, _params(route)[-1]) or "")
            if _is_detail(route) and seen.status_code == 200 and shown and shown not in body:
                walk.problems.append(f"{walk.persona} GET {route} [{name}] misses {shown!r}")


def _refused(response, body: str) -> bool:
    """A write the role check turned down: 403, a GET-only route's 405, or the page or
    the message it redirects with saying the account is read-only."""
    if response.status_code in (403, 405):
        return True
    said = [body, *(str(m) for m in getattr(response.wsgi_request, "_messages", []))]
    return any(text in line for text in READ_ONLY for line in said)


def _write_walk(walk: Walk) -> None:
    """Every write operation of the API, every web form and every admin form that names
    a record, with each set the persona may not see (and, for a read-only persona, with
    every set): hidden records answer like missing ids, a reader is refused."""
    doors, user = walk.doors, walk.user
    reader = not user.can_write
    targets = [name for name in walk.walked if reader or name in walk.hidden]
    for method, path, operation in _write_operations():
        route = path.lstrip("/")
        content = operation.get("requestBody", {}).get("content", {})
        multipart = "multipart/form-data" in content
        for name in targets:
            if _params(route):
                values = doors.route_ids(name, route)
                if values is None:
                    continue
            elif (method, path) in OPEN_TO_READERS:
                continue
            else:
                values = ({}, {})
            seen_ids, missing_ids = values
            named = [doors.body_ids(name, user, missing=m) for m in (False, True)]
            bodies = [_body(method, path, ids) if content else None for ids in named]
            if content and not multipart and bodies[0] is None:
                walk.problems.append(f"add a valid body for {method.upper()} {path}")
                continue
            # A write that names no record would only create one; a reader tries it once.
            if not _params(route) and bodies[0] == bodies[1] and not (reader and name == "shared"):
                continue
            answer = walk.call(method, _fill(path, seen_ids), bodies[0], multipart=multipart)
            seen = answer[0]
            walk.tried += 1
            if name in walk.hidden:
                walk.like_missing(
                    f"{method.upper()} {path} [{name}]",
                    answer,
                    walk.call(
                        method, _fill(path, missing_ids), bodies[1], multipart=multipart, cache=True
                    ),
                    _swapped(seen_ids, missing_ids) + _swapped(*named),
                )
            elif (method, path) not in OPEN_TO_READERS and seen.status_code != 403:
                walk.problems.append(
                    f"{walk.persona} {method.upper()} {path} [{name}]: {seen.status_code}"
                )
    for route in _walked_routes():
        if route.startswith(("api/", "login/", "password/")):
            continue
        admin = route.startswith("admin/")
        if admin and not (user.is_staff and route.endswith("/delete/")):
            continue  # the admin's change page finds its object as the delete page does
        for name in targets:
            if _params(route):
                values = doors.route_ids(name, route)
                if values is None:
                    continue
            elif admin or name not in (*walk.hidden, "shared"):
                continue  # a form without ids in its path: its fields name a record
            else:
                values = ({}, {})
            seen_ids, missing_ids = values
            forms = [_form(doors.body_ids(name, user, missing=m)) for m in (False, True)]
            if admin:
                forms = [{"post": "yes"}, {"post": "yes"}]
            url = f"/{_fill(route, seen_ids)}"
            # A form that creates what it names no id of (a fair, an import) is undone.
            post = walk.client.post if values[0] else functools.partial(_undone, walk.client)
            if name in walk.hidden:
                absent = post(f"/{_fill(route, missing_ids)}", forms[1])
                if absent.status_code == 405:
                    continue  # a page that is only read refuses the method before any lookup
            seen = post(url, forms[0])
            body = seen.content.decode(errors="replace")
            walk.tried += 1
            if name in walk.hidden:
                gone = absent.content.decode(errors="replace")
                walk.like_missing(f"POST {route} [{name}]", (seen, body), (absent, gone))
            elif not _refused(seen, body) and walk.client.get(url).status_code != seen.status_code:
                # (A page that answers a POST as it answers a GET only reads.)
                walk.problems.append(f"{walk.persona} POST {route} [{name}]: {seen.status_code}")
            for secret in walk.secrets:
                if secret in body:
                    walk.problems.append(f"POST {url} shows {secret!r}")


def _undone(client: Client, url: str, data: dict):
    """POST ``data`` to ``url`` in a savepoint that is rolled back."""
    with transaction.atomic():
        response = client.post(url, data)
        transaction.set_rollback(True)
    return response


def _form(ids: dict) -> dict:
    """One form that passes the validation of every web form, so each reaches its lookup
    and its role check: the fields of all of them, with the set's ids."""
    today = timezone.localdate().isoformat()
    person, org = ids["person_id"], ids["organization_id"]
    return {
        "text": "Notiz", "kind": "meeting", "day": today, "subject": "Besuch", "version": "1",
        "stage": "lead", "person": person, "role": "sales", "skills": ids["skill_id"],
        "skill": ids["skill_id"], "do": "endorse", "level": "3", "recipients": person,
        "target": person, "organization": org, "note": "Notiz", "message": "Bitte",
        "quality": "4", "on_time": "4", "communication": "4", "name": "Neu",
        "start_date": today, "keep": person, "other": ids["other_person_id"],
        "file": _pdf("angebot.pdf"), "title": "Angebot",
        "m-TOTAL_FORMS": "1", "m-INITIAL_FORMS": "0",  # the fair's meetings: one empty row
    }  # fmt: skip


@pytest.mark.parametrize("persona", list(SEES))
def test_every_route_answers_each_persona_as_the_rule_says(doors, persona):
    walk = Walk(doors, persona)
    before = _snapshot()
    _read_walk(walk)
    assert walk.tried > 40, walk.tried  # the walk covered the routes
    assert not walk.problems, walk.report()
    assert _snapshot() == before


@pytest.mark.parametrize("persona", [p for p, sees in SEES.items() if len(sees) < 3] + [])
def test_every_write_answers_hidden_records_like_missing_and_refuses_a_reader(doors, persona):
    walk = Walk(doors, persona)
    before = _snapshot()
    _write_walk(walk)
    assert walk.tried > 40, walk.tried
    assert not walk.problems, walk.report()
    changed = [label for label, rows in _snapshot().items() if before[label] != rows]
    assert not changed, changed


def _assert_clean(response, where: str, secrets=SECRETS) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = response.content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, f"{where} shows {secret!r}"


def test_no_write_route_reveals_a_private_contact(doors):
    colleague = doors.users["colleague"]
    client = Client()
    client.force_login(colleague)
    pid = doors.sets["private"].ids["person"]
    attempts = [
        ("/api/v1/relationships", {"person_a_id": colleague.person_id, "person_b_id": pid}),
        (
            "/api/v1/interactions",
            {
                "kind": "phone",
                "occurred_at": "2026-01-05T10:00:00+00:00",
                "participants": [{"person_id": colleague.person_id}, {"person_id": pid}],
            },
        ),
        ("/api/v1/positions", {"person_id": pid, "organization_id": 1}),
    ]
    for url, payload in attempts:
        response = client.post(url, payload, content_type="application/json")
        assert response.status_code == 404, (url, response.status_code)
        _assert_clean(response, url)
    patch = client.patch(
        f"/api/v1/persons/{pid}", {"version": 1, "notes": "x"}, content_type="application/json"
    )
    assert patch.status_code == 404


@pytest.mark.parametrize(
    "command",
    [
        ["export", "--format", "json"],
        ["export", "--format", "csv"],
        ["export", "--format", "vcard"],
        ["duplicates"],
        ["reconnect"],
        ["network", "recommend"],
        ["network", "brokers"],
        ["network", "neighbourhood"],
        ["network", "communities"],
        ["reach", "Verborgene"],
    ],
)
def test_no_cli_command_shows_a_colleagues_private_contact(doors, command):
    colleague = doors.users["colleague"]
    out = StringIO()
    try:
        call_command(*command, "--user", colleague.username, stdout=out, stderr=StringIO())
    except CommandError as refused:  # "matches 0 organisations": the message must not tell
        out.write(str(refused))
    for secret in SECRETS:
        assert secret not in out.getvalue(), f"geflecht {' '.join(command)} shows {secret!r}"
