"""Reads of projects, their teams and documents, with the user's visibility applied.

A project is visible by the one rule of ``lib.visibility``; inside a visible project
only the members and recipients the user may see are shown (a colleague's private
contact on the buying centre is left out, not named, not counted).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import NotFound
from geflecht.lib.visibility import can_see, visible_q
from geflecht.network.models import InteractionParticipant
from geflecht.people.models import Person, Position, Site
from geflecht.people.queries import visible_people
from geflecht.projects.models import (
    Document,
    DocumentSend,
    DocumentVersion,
    Project,
    ProjectMember,
    Side,
    Stage,
)


def visible_projects(user: User) -> QuerySet[Project]:
    return Project.objects.visible_to(user)


def visible_project(user: User, pk: int) -> Project:
    """One project the user may see; a hidden one looks exactly like a missing one."""
    project = (
        visible_projects(user)
        .select_related("organization", "site", "parent")
        .filter(pk=pk)
        .first()
    )
    if project is None:
        raise NotFound(_("No project with id %(id)s.") % {"id": pk})
    return project


def on_our_team(user: User, project: Project) -> bool:
    """Whether ``user``'s own person is on our side of the project (not the buying centre)."""
    return (
        user.person_id is not None
        and ProjectMember.objects.filter(
            project_id=project.pk, side=Side.OURS, person_id=user.person_id
        ).exists()
    )


def may_change(user: User, project: Project) -> bool:
    """Who edits a project, its members and its documents: its owner, the colleagues on
    our team of it, and the tenant's admins (each only if they may see it and may write).
    Everyone else who sees the project reads it."""
    if not getattr(user, "can_write", False) or not can_see(user, project):
        return False
    return project.owner_id == user.pk or user.is_tenant_admin or on_our_team(user, project)


def may_delete(user: User, project: Project) -> bool:
    """Deleting takes the teams and documents with it: only the owner and admins may."""
    if not getattr(user, "can_write", False) or not can_see(user, project):
        return False
    return project.owner_id == user.pk or user.is_tenant_admin


def find_project(user: User, text: str) -> list[Project]:
    """Projects by id or (part of) name, for the CLI."""
    text = text.strip()
    if text.isdigit():
        found = list(visible_projects(user).filter(pk=int(text)))
        if found:
            return found
    exact = list(visible_projects(user).filter(name__iexact=text))
    return exact or list(visible_projects(user).filter(name__icontains=text).order_by("name")[:10])


def members(user: User, project: Project, side: str | None = None) -> list[ProjectMember]:
    """The project's team members the user may see, ours first."""
    qs = (
        ProjectMember.objects.filter(project=project)
        .select_related("person")
        .order_by("side", "role", "person__last_name", "id")
    )
    if side:
        qs = qs.filter(side=side)
    # A team is a handful of people: the visibility rule in Python beats a subquery.
    return [m for m in qs if can_see(user, m.person)]


def visible_member(user: User, project: Project, pk: int) -> ProjectMember:
    member = (
        ProjectMember.objects.filter(project=project, pk=pk, person__in=visible_people(user))
        .select_related("person")
        .first()
    )
    if member is None:
        raise NotFound(_("No team member with id %(id)s.") % {"id": pk})
    return member


def documents(project: Project) -> list[Document]:
    """The project's documents, each with its versions (newest first) prefetched."""
    return list(
        Document.objects.filter(project=project).prefetch_related(
            Prefetch(
                "versions",
                queryset=DocumentVersion.objects.select_related("uploaded_by").order_by("-number"),
            )
        )
    )


def visible_document(user: User, pk: int) -> Document:
    """A document of a project the user may see (else NotFound, as for a missing one)."""
    doc = (
        Document.objects.filter(pk=pk, tenant_id=user.tenant_pk, project__in=visible_projects(user))
        .select_related("project")
        .first()
    )
    if doc is None:
        raise NotFound(_("No document with id %(id)s.") % {"id": pk})
    return doc


def visible_version(user: User, document_id: int, number: int) -> DocumentVersion:
    doc = visible_document(user, document_id)
    version = DocumentVersion.objects.filter(document=doc, number=number).first()
    if version is None:
        raise NotFound(_("No version %(n)s of this document.") % {"n": number})
    version.document = doc
    return version


# --------------------------------------------------------------------------- flow
@dataclass(frozen=True)
class Delivery:
    """One send of a document version: who sent it to whom, and when."""

    document: Document
    version: int
    occurred_at: datetime
    sender: Person | None
    recipients: tuple[Person, ...]
    sites: tuple[Site, ...]


@dataclass(frozen=True)
class DocumentFlow:
    deliveries: tuple[Delivery, ...]
    by_person: tuple[tuple[Person, tuple[str, ...]], ...]  # person -> "title vN"
    by_site: tuple[tuple[Site, tuple[str, ...]], ...]


def document_flow(user: User, project: Project, *, limit: int = 200) -> DocumentFlow:
    """Which documents went to which people and sites, newest first.

    Only sends whose interaction the user may see, and of those only the people the user
    may see: a private recipient of a colleague is left out without a trace.
    """
    sends = list(
        DocumentSend.objects.filter(project=project)
        .filter(visible_q(user, "interaction"))
        .select_related("version__document", "interaction")
        .order_by("-interaction__occurred_at", "-id")[:limit]
    )
    iids = [s.interaction_id for s in sends]
    visible = visible_people(user)
    parts = list(
        InteractionParticipant.objects.filter(interaction_id__in=iids, person__in=visible)
        .select_related("person")
        .order_by("person__last_name", "person__first_name")
    )
    by_interaction: dict[int, list[InteractionParticipant]] = defaultdict(list)
    for p in parts:
        by_interaction[p.interaction_id].append(p)
    recipient_ids = {p.person_id for p in parts if p.role != "sender"}
    site_of: dict[int, Site] = {}
    for pos in (
        Position.objects.filter(
            person_id__in=recipient_ids, end_date__isnull=True, site__isnull=False
        )
        .select_related("site")
        .order_by("-start_date")
    ):
        if pos.site is not None:
            site_of.setdefault(pos.person_id, pos.site)
    deliveries = []
    got_person: dict[int, tuple[Person, list[str]]] = {}
    got_site: dict[int, tuple[Site, list[str]]] = {}
    for send in sends:
        label = f"{send.version.document.title} v{send.version.number}"
        rows = by_interaction.get(send.interaction_id, [])
        sender = next((p.person for p in rows if p.role == "sender"), None)
        recipients = tuple(p.person for p in rows if p.role != "sender")
        sites = tuple(
            {site_of[p.pk].pk: site_of[p.pk] for p in recipients if p.pk in site_of}.values()
        )
        deliveries.append(
            Delivery(
                send.version.document,
                send.version.number,
                send.interaction.occurred_at,
                sender,
                recipients,
                sites,
            )
        )
        for person in recipients:
            entry = got_person.setdefault(person.pk, (person, []))
            if label not in entry[1]:
                entry[1].append(label)
        for site in sites:
            site_entry = got_site.setdefault(site.pk, (site, []))
            if label not in site_entry[1]:
                site_entry[1].append(label)
    return DocumentFlow(
        tuple(deliveries),
        tuple((p, tuple(labels)) for p, labels in got_person.values()),
        tuple((s, tuple(labels)) for s, labels in got_site.values()),
    )


def projects_of_organization(user: User, organization_id: int) -> list[Project]:
    return list(
        visible_projects(user)
        .filter(organization_id=organization_id)
        .select_related("site")
        .order_by("-updated_at", "-id")[:50]
    )


OURS, THEIRS = Side.OURS, Side.THEIRS


#: Stages of projects that still need their team (won projects are being delivered).
OPEN_STAGES = tuple(stage for stage in Stage if stage != Stage.LOST)


def project_skill_gaps(user: User) -> list:
    """Skills that the user's visible open projects need and nobody of our company has
    (the skill matrix shows them next to the skills only one of us holds). Each skill
    carries ``open_projects``: the projects that ask for it."""
    from geflecht.skills.models import Skill
    from geflecht.skills.queries import skill_gaps

    open_projects = visible_projects(user).filter(stage__in=OPEN_STAGES)
    needed = Skill.objects.filter(projects__in=open_projects).distinct()
    gaps = skill_gaps(user.tenant_pk, needed)
    asking = defaultdict(list)
    for project in open_projects.filter(skills_needed__in=gaps).distinct().order_by("name"):
        for skill_id in project.skills_needed.values_list("pk", flat=True):
            asking[skill_id].append(project)
    for skill in gaps:
        skill.open_projects = asking[skill.pk]  # type: ignore[attr-defined]  # for the page
    return gaps
