"""A user leaves the company: one action for the admin's delete and `geflecht user remove`.

It reaches into every domain that keeps records with an owner (people, firms, ties,
interactions, projects), so it lives in the privacy app, above them all, next to the
erasure it uses for the leaver's private contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.network import snapshot
from geflecht.network.actions import bump_graph_version, recompute_pairs
from geflecht.network.models import GraphChange, Interaction, Relationship
from geflecht.people.models import Organization, Person
from geflecht.privacy.actions import erase_person, pairs_sharing
from geflecht.projects.actions import delete_files_on_commit
from geflecht.projects.models import DocumentVersion, Project


@dataclass(frozen=True)
class RemovalReport:
    """What removing a user did with their private records (counts)."""

    username: str
    private_records: str
    handed_to: str | None
    people: int
    organizations: int
    relationships: int
    interactions: int
    projects: int


def _may_remove(acting_user: User, user: User) -> None:
    if acting_user.pk == user.pk:
        raise PermissionDenied(_("You cannot remove yourself; another admin removes you."))
    admin_here = acting_user.is_tenant_admin and acting_user.tenant_id == user.tenant_id
    if not (admin_here or acting_user.is_superuser):
        raise PermissionDenied(_("Only an admin of their company may remove a user."))


@transaction.atomic
def remove_user(
    acting_user: User,
    user: User,
    *,
    private_records: str = "erase",
    to: User | None = None,
    now: datetime | None = None,
) -> RemovalReport:
    """Remove a login for good (someone leaves the company), in one transaction.

    The records only they could see (persons, organisations, relationships,
    interactions and projects with visibility ``private``) are erased
    (``private_records="erase"``: persons as by a GDPR erasure, with their ties and
    interactions) or handed over to ``to`` (``"hand_over"``: ``to`` owns them, and
    their team records, from now on; a private tie both kept becomes one, recomputed
    from both histories). Company records (and, when erasing, team records) stay for the
    colleagues, without an owner; their own person stays
    as a former colleague; their API tokens go. The graph forgets their private ties:
    the version bumps and every snapshot rebuilds. Only an admin of their tenant (or an
    installation superuser) removes a user, never themselves.
    """
    if private_records not in ("erase", "hand_over"):
        raise ValidationError(
            {"private_records": _("Say what happens to their private records: erase or hand_over.")}
        )
    _may_remove(acting_user, user)
    if private_records == "hand_over":
        if to is None:
            raise ValidationError({"to": _("Say to whom to hand their private records over.")})
        if to.pk == user.pk or to.tenant_id != user.tenant_id or not to.is_active:
            raise ValidationError(
                {"to": _("Hand the records over to another active user of the same company.")}
            )
    elif to is not None:
        raise ValidationError({"to": _("Records that are erased are handed to nobody.")})
    now = now or timezone.now()
    tenant_id = user.tenant_pk
    mine = {"owner_id": user.pk, "visibility": "private"}
    rels = Relationship.objects.filter(tenant_id=tenant_id, **mine)
    pairs = set(rels.values_list("person_a_id", "person_b_id"))
    removed = [(a, b, user.pk) for a, b in pairs]
    counts = {
        "people": Person.objects.filter(tenant_id=tenant_id, **mine).count(),
        "organizations": Organization.objects.filter(tenant_id=tenant_id, **mine).count(),
        "relationships": len(pairs),
        "interactions": Interaction.objects.filter(tenant_id=tenant_id, **mine).count(),
        "projects": Project.objects.filter(tenant_id=tenant_id, **mine).count(),
    }
    if private_records == "erase":
        projects = Project.objects.filter(tenant_id=tenant_id, **mine)
        _delete_project_files(projects)
        projects.delete()
        interactions = Interaction.objects.filter(tenant_id=tenant_id, **mine)
        ids = list(interactions.values_list("pk", flat=True))
        pairs |= pairs_sharing(tenant_id, ids)
        interactions.delete()
        rels.delete()
        for person in Person.objects.filter(tenant_id=tenant_id, **mine):
            # As their owner: members may erase their own private contacts.
            erase_person(user, person, now=now)
        Organization.objects.filter(tenant_id=tenant_id, **mine).delete()
    else:
        assert to is not None  # checked above for "hand_over"
        # A tie both kept privately becomes the receiver's one row: theirs stays, and
        # the handed-over interactions count for it when it is recomputed below.
        theirs = set(
            Relationship.objects.filter(
                tenant_id=tenant_id, owner_id=to.pk, visibility="private"
            ).values_list("person_a_id", "person_b_id")
        )
        for a, b in pairs & theirs:
            rels.filter(person_a_id=a, person_b_id=b).delete()
        # Their team records go along: without an owner nobody would see them any more.
        theirs_too = {"owner_id": user.pk, "visibility__in": ("private", "team")}
        team_pairs = set(
            Relationship.objects.filter(
                tenant_id=tenant_id, owner_id=user.pk, visibility="team"
            ).values_list("person_a_id", "person_b_id")
        )
        removed += [(a, b, user.pk) for a, b in team_pairs]
        for model in (Organization, Person, Relationship, Interaction, Project):
            model.objects.filter(tenant_id=tenant_id, **theirs_too).update(owner_id=to.pk)
    # Older log rows name the leaver as owner; the removals below supersede them.
    GraphChange.objects.filter(tenant_id=tenant_id, owner_id=user.pk).delete()
    username = user.get_username()
    user.delete()
    recompute_pairs(tenant_id, sorted(pairs), now=now)
    bump_graph_version(tenant_id, removed=removed, full=True)
    transaction.on_commit(lambda: snapshot.forget(tenant_id))
    return RemovalReport(
        username=username,
        private_records=private_records,
        handed_to=to.get_username() if to is not None else None,
        **counts,
    )


def _delete_project_files(projects) -> None:
    names = list(
        DocumentVersion.objects.filter(document__project__in=projects).values_list(
            "file", flat=True
        )
    )
    delete_files_on_commit(names)
