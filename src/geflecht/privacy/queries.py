"""Reads for data protection: who may export or erase, the Art. 15 export, the audit trail.

Permission checks live here, in the service layer, so the API, the web pages and the CLI
refuse the same requests. A person the user may not see raises ``Person.DoesNotExist``
with the same message as a person that never existed, so an error never confirms that a
colleague's private contact exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import can_see, visible_q
from geflecht.network.models import Interaction, InteractionParticipant, Relationship
from geflecht.network.params import strength_params
from geflecht.network.queries import pair_histories
from geflecht.network.strength import compute_strength
from geflecht.people.models import ContactEmail, ContactPhone, Person, Position, PrivateNote
from geflecht.privacy.models import AuditEntry, PersonPrivacy
from geflecht.skills.queries import person_skills_export

__all__ = [
    "EXPORT_FORMAT",
    "ErasurePreview",
    "audit_entries",
    "can_erase",
    "can_see_person",
    "export_json",
    "export_person_data",
    "get_person_for",
    "is_tenant_admin",
    "people_without_basis",
    "preview_erasure",
    "render_export_text",
]

EXPORT_FORMAT = "geflecht-person-export/1"


def is_tenant_admin(user: User) -> bool:
    """An admin of a tenant: may export, erase and audit every person of that tenant."""
    return bool(user.is_authenticated and user.tenant_id and user.role == User.Role.ADMIN)


def can_see_person(user: User, person: Person) -> bool:
    """The one visibility rule (company, the owner's teams, the owner alone). It also
    decides who may export: admins get no exception, a colleague's private contact stays
    the colleague's, who answers that person's request (principle 4 holds for admins)."""
    return can_see(user, person)


def can_erase(user: User, person: Person) -> bool:
    """Tenant admins erase the people they can see; members only their own private contacts."""
    if not can_see_person(user, person):
        return False
    if is_tenant_admin(user):
        return True
    return person.visibility == Visibility.PRIVATE and person.owner_id == user.pk


def _not_found() -> Person.DoesNotExist:
    return Person.DoesNotExist(_("This person does not exist."))


def get_person_for(user: User, person_id: int, *, purpose: str = "export") -> Person:
    """The person ``person_id`` if ``user`` may ``export`` (or ``erase``) them.

    Raises ``Person.DoesNotExist`` when the person does not exist or is invisible to the
    user (the same message either way), ``PermissionDenied`` when the user sees the person
    but may not erase them.
    """
    person = Person.objects.filter(pk=person_id, tenant_id=user.tenant_pk).first()
    if person is None or not can_see_person(user, person):
        raise _not_found()
    if purpose == "erase" and not can_erase(user, person):
        raise PermissionDenied(_("Only an admin of your company may erase this person."))
    return person


def _check_export(user: User, person: Person) -> None:
    if not can_see_person(user, person):
        raise _not_found()


def _name(person: Person) -> str:
    return person.full_name


def _dt(value) -> str | None:
    return value.isoformat() if value is not None else None


def _events(person: Person) -> list[dict]:
    """Fairs and events the person attends or attended, with role and booth."""
    from geflecht.events.models import Attendance

    return [
        {
            "event": a.event.name,
            "first_day": a.event.start_date.isoformat(),
            "role": a.role,
            "booth": a.booth,
            "status": a.status,
            "source": a.source,
        }
        for a in Attendance.objects.filter(person=person).select_related("event")
    ]


def _intro_requests(user: User, person: Person) -> list[dict]:
    """Introduction requests naming the person as requester, broker or target: all of
    them for a tenant admin, else those the user asked or was asked. Other people are
    named only when ``user`` may see them."""
    from geflecht.intros.models import IntroRequest
    from geflecht.people.queries import visible_people

    rows = IntroRequest.objects.filter(
        Q(requester__person=person) | Q(broker=person) | Q(target=person)
    ).select_related("requester__person", "broker", "target")
    if not user.is_tenant_admin:
        rows = rows.filter(Q(requester=user) | Q(broker_user=user))
    requests = list(rows)
    mentioned = {
        p
        for r in requests
        for p in (r.requester.person_id, r.broker_id, r.target_id)
        if p is not None
    }
    seen = set(visible_people(user).filter(pk__in=mentioned).values_list("pk", flat=True))

    def name(p):
        return p.full_name if p is not None and p.pk in seen else None

    return [
        {
            "as": "requester"
            if r.requester.person_id == person.pk
            else "broker"
            if r.broker_id == person.pk
            else "target",
            "requester": name(r.requester.person),
            "broker": name(r.broker),
            "target": name(r.target),
            "status": r.status,
            "message": r.message,
            "broker_note": r.broker_note,
            "asked_at": _dt(r.created_at),
        }
        for r in requests
    ]


def export_person_data(user: User, person: Person, *, now=None) -> dict[str, Any]:
    """Everything stored about ``person`` (GDPR Art. 15) as a JSON-serialisable dict.

    Includes the person's fields, e-mail addresses, phone numbers, positions, the user
    account linked to them, relationships with their strength and its explanation,
    interactions they took part in, private notes on them, their skills with the
    endorsements and their comments, fairs they attend and fair-target notes on them,
    project and joint-project memberships, introduction requests, their legal-basis
    record and the audit trail of access to their data. Other people are named only when
    ``user`` may see them.

    The one rule (:func:`geflecht.lib.visibility.visible_q`) decides what a user gets:
    company records, their team's and their own (``"complete": false``); private notes
    only their own. A tenant admin answers the person's request and gets the complete
    record (``"complete": true``): relationships, interactions and project memberships
    that other users keep private or within their team are included with the other
    people and the project left unnamed, and every user's private notes on the person
    with their author.

    Raises ``Person.DoesNotExist`` when ``user`` may not see the person. Does not write
    the audit entry: :func:`geflecht.privacy.actions.export_person` does both.
    """
    _check_export(user, person)
    now = now or timezone.now()
    admin = is_tenant_admin(user)
    owner_name = (
        User.objects.filter(pk=person.owner_id).values_list("username", flat=True).first()
        if person.owner_id
        else None
    )
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": now.isoformat(),
        "exported_by": user.username,
        "complete": admin,
        "person": {
            "id": person.pk,
            "title": person.title,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "notes": person.notes,
            "tags": list(person.tags or []),
            "classification": person.classification,
            "importance": person.importance,
            "visibility": person.visibility,
            "owner": owner_name,
            "created_at": _dt(person.created_at),
            "updated_at": _dt(person.updated_at),
        },
        "emails": [
            {"email": e.email, "label": e.label, "primary": e.is_primary}
            for e in ContactEmail.objects.filter(person=person).order_by("-is_primary", "email")
        ],
        "phones": [
            {"number": p.number, "label": p.label}
            for p in ContactPhone.objects.filter(person=person).order_by("number")
        ],
        "positions": [
            {
                "organization": pos.organization.name,
                "site": str(pos.site.name) if pos.site else None,
                "title": pos.title,
                "department": pos.department,
                "buying_role": pos.buying_role,
                "start_date": pos.start_date.isoformat() if pos.start_date else None,
                "end_date": pos.end_date.isoformat() if pos.end_date else None,
            }
            for pos in Position.objects.filter(person=person).select_related("organization", "site")
        ],
        "user_account": _account(person),
        "relationships": _relationships(user, person, admin=admin, now=now),
        "interactions": _interactions(user, person, admin=admin),
        "legal_basis": _privacy(person),
        "private_notes": _private_notes(user, person, admin=admin),
        "skills": person_skills_export(person),
        "endorsements": _endorsements(person),
        "events": _events(person),
        "event_targets": _event_targets(person),
        "project_memberships": _project_memberships(user, person, admin=admin),
        "joint_projects": _joint_projects(user, person, admin=admin),
        "introduction_requests": _intro_requests(user, person),
        "audit": [
            {"at": _dt(e.at), "user": e.username, "action": e.action, "detail": e.detail}
            for e in AuditEntry.objects.filter(tenant_id=person.tenant_id, person_id=person.pk)
        ],
    }
    return data


def _private_notes(user: User, person: Person, *, admin: bool) -> list[dict[str, Any]]:
    """Notes users keep on the person: the user's own; every user's for an admin."""
    notes = PrivateNote.objects.filter(person=person).select_related("owner")
    if not admin:
        notes = notes.filter(owner=user)
    return [
        {
            "author": n.owner.username,
            "text": n.text,
            "created_at": _dt(n.created_at),
            "updated_at": _dt(n.updated_at),
        }
        for n in notes.order_by("created_at", "id")
    ]


def _endorsements(person: Person) -> list[dict[str, Any]]:
    """Who confirmed which of the person's skills, with their comment."""
    from geflecht.skills.models import Endorsement

    rows = Endorsement.objects.filter(person_skill__person=person).select_related(
        "person_skill__skill", "by"
    )
    return [
        {
            "skill": e.person_skill.skill.name_de,
            "by": e.by.username,
            "comment": e.comment,
            "at": _dt(e.created_at),
        }
        for e in rows.order_by("created_at", "id")
    ]


def _event_targets(person: Person) -> list[dict[str, Any]]:
    """Fairs at which someone of us wants to meet the person, with their note."""
    from geflecht.events.models import EventTarget

    rows = EventTarget.objects.filter(person=person).select_related("event", "chosen_by")
    return [
        {
            "event": t.event.name,
            "first_day": t.event.start_date.isoformat(),
            "chosen_by": t.chosen_by.username if t.chosen_by else None,
            "note": t.note,
        }
        for t in rows.order_by("event__start_date", "id")
    ]


def _project_memberships(user: User, person: Person, *, admin: bool) -> list[dict[str, Any]]:
    """Project teams the person is on: projects the user may see by name; for an admin
    also the others, without their name."""
    from geflecht.projects.models import ProjectMember

    out = []
    for m in ProjectMember.objects.filter(person=person).select_related("project"):
        seen = can_see(user, m.project)
        if not seen and not admin:
            continue
        entry: dict[str, Any] = {
            "project_id": m.project_id if seen else None,
            "project": m.project.name if seen else None,
            "stage": m.project.stage if seen else None,
            "side": m.side,
            "role": m.role,
            "since": _dt(m.created_at),
        }
        if not seen:
            entry["hidden"] = True
        out.append(entry)
    return out


def _joint_projects(user: User, person: Person, *, admin: bool) -> list[dict[str, Any]]:
    """Joint projects with partner firms naming the person on our side or theirs: those
    with a partner the user may see; for an admin also the others, without names."""
    from geflecht.partners.models import JointProject

    sides: dict[int, str] = {}
    for side, field in (("ours", JointProject.our_people), ("theirs", JointProject.their_people)):
        for pk in field.through.objects.filter(person_id=person.pk).values_list(
            "jointproject_id", flat=True
        ):
            sides[pk] = side
    out = []
    for jp in JointProject.objects.filter(pk__in=list(sides)).select_related("partner"):
        seen = can_see(user, jp.partner)
        if not seen and not admin:
            continue
        entry: dict[str, Any] = {
            "title": jp.title if seen else None,
            "partner": jp.partner.name if seen else None,
            "side": sides[jp.pk],
            "status": jp.status,
            "start_date": jp.start_date.isoformat(),
            "end_date": jp.end_date.isoformat() if jp.end_date else None,
        }
        if not seen:
            entry["hidden"] = True
        out.append(entry)
    return out


def _account(person: Person) -> dict[str, Any] | None:
    account = User.objects.filter(person=person).first()
    if account is None:
        return None
    return {
        "username": account.username,
        "email": account.email,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "role": account.role,
        "date_joined": _dt(account.date_joined),
        "last_login": _dt(account.last_login),
    }


def _privacy(person: Person) -> dict[str, Any] | None:
    record = PersonPrivacy.objects.filter(person=person).first()
    if record is None:
        return None
    return {
        "legal_basis": record.legal_basis,
        "legal_basis_label": str(record.get_legal_basis_display()),
        "consent_given_at": _dt(record.consent_given_at),
        "consent_withdrawn_at": _dt(record.consent_withdrawn_at),
        "source": record.source,
        "note": record.note,
        "updated_at": _dt(record.updated_at),
    }


def _relationships(user: User, person: Person, *, admin: bool, now) -> list[dict[str, Any]]:
    rels = Relationship.objects.filter(tenant_id=person.tenant_id).filter(
        Q(person_a_id=person.pk) | Q(person_b_id=person.pk)
    )
    if not admin:
        rels = rels.filter(visible_q(user))
    rows = list(rels.select_related("person_a", "person_b", "owner").order_by("-strength", "id"))
    histories = pair_histories(person.tenant_id, rows)
    params = strength_params()
    out = []
    for rel in rows:
        other = rel.person_b if rel.person_a_id == person.pk else rel.person_a
        result = compute_strength(
            histories[rel.pk], now=now, rating=rel.rating, kind=rel.kind, params=params
        )
        out.append(
            {
                "with": _person_ref(user, other),
                "kind": rel.kind,
                "rating": rel.rating,
                "strength": rel.strength,
                "visibility": rel.visibility,
                "owner": rel.owner.username if rel.owner else None,
                "last_interaction_at": _dt(rel.last_interaction_at),
                "evidence": {
                    "explanation": result.explain("en"),
                    "inputs": result.inputs.as_dict(),
                },
            }
        )
    return out


def _person_ref(user: User, other: Person) -> dict[str, Any]:
    if can_see_person(user, other):
        return {"id": other.pk, "name": _name(other)}
    return {"id": None, "name": None, "hidden": True}


def _interactions(user: User, person: Person, *, admin: bool) -> list[dict[str, Any]]:
    mine = Interaction.objects.filter(tenant_id=person.tenant_id, participations__person=person)
    if not admin:
        mine = mine.filter(visible_q(user))
    interactions = list(mine.select_related("site").order_by("-occurred_at", "id"))
    by_interaction: dict[int, list[InteractionParticipant]] = {i.pk: [] for i in interactions}
    for part in InteractionParticipant.objects.filter(
        interaction_id__in=list(by_interaction)
    ).select_related("person"):
        by_interaction[part.interaction_id].append(part)
    out = []
    for i in interactions:
        parts = by_interaction[i.pk]
        own_role = next((p.role for p in parts if p.person_id == person.pk), None)
        others = [p for p in parts if p.person_id != person.pk]
        named = [
            {"id": p.person_id, "name": _name(p.person), "role": p.role}
            for p in sorted(others, key=lambda p: p.person_id)
            if can_see_person(user, p.person)
        ]
        out.append(
            {
                "id": i.pk,
                "kind": i.kind,
                "occurred_at": _dt(i.occurred_at),
                "duration_minutes": i.duration_minutes,
                "subject": i.subject,
                "location": i.location,
                "site": i.site.name if i.site else None,
                "source": i.source,
                "visibility": i.visibility,
                "role": own_role,
                "participants": named,
                "other_participants_not_shown": len(others) - len(named),
            }
        )
    return out


def render_export_text(data: dict[str, Any]) -> str:
    """The export as Markdown a person can read (the same content as the JSON)."""
    p = data["person"]
    name = " ".join(x for x in (p["title"], p["first_name"], p["last_name"]) if x)
    lines = [
        f"# Data stored about {name}",
        "",
        f"Exported {data['exported_at']} by {data['exported_by']}"
        + ("" if data["complete"] else " (what this user may see; an admin export is complete)")
        + ".",
        "",
        "## Person",
        "",
        f"- Id: {p['id']}",
        f"- Name: {name}",
        f"- Classification: {p['classification']}",
        f"- Importance: {p['importance'] or '-'}",
        f"- Visibility: {p['visibility']}" + (f" (owner {p['owner']})" if p["owner"] else ""),
        f"- Tags: {', '.join(p['tags']) or '-'}",
        f"- Recorded: {p['created_at']}, last changed {p['updated_at']}",
    ]
    if p["notes"]:
        lines += ["", "Notes:", "", *(f"> {line}" for line in p["notes"].splitlines())]
    lines += ["", "## Contact details", ""]
    lines += [
        f"- E-mail: {e['email']}" + (" (primary)" if e["primary"] else "") for e in data["emails"]
    ]
    lines += [f"- Phone: {ph['number']}" for ph in data["phones"]]
    if not data["emails"] and not data["phones"]:
        lines.append("None.")
    lines += ["", "## Positions", ""]
    for pos in data["positions"]:
        when = f"{pos['start_date'] or '?'} to {pos['end_date'] or 'today'}"
        where = pos["organization"] + (f", {pos['site']}" if pos["site"] else "")
        lines.append(f"- {pos['title'] or 'position'} at {where} ({when})")
    if not data["positions"]:
        lines.append("None.")
    account = data["user_account"]
    if account:
        lines += ["", "## User account", "", f"- {account['username']} ({account['role']})"]
    lines += ["", "## Relationships", ""]
    for rel in data["relationships"]:
        other = rel["with"]["name"] or "(a person not visible to you)"
        lines.append(
            f"- {other}: {rel['kind']}, strength {rel['strength']:.2f}"
            f" ({rel['visibility']}). {rel['evidence']['explanation']}"
        )
    if not data["relationships"]:
        lines.append("None.")
    lines += ["", "## Interactions", ""]
    for i in data["interactions"]:
        others = ", ".join(f"{x['name']} ({x['role']})" for x in i["participants"])
        hidden = i["other_participants_not_shown"]
        if hidden:
            others = f"{others}, and {hidden} more" if others else f"{hidden} other people"
        subject = f" \u201c{i['subject']}\u201d" if i["subject"] else ""
        when = i["occurred_at"][:16]
        lines.append(f"- {when} {i['kind']}{subject} as {i['role']}; with {others}")
    if not data["interactions"]:
        lines.append("None.")
    lines += ["", "## Private notes", ""]
    for n in data["private_notes"]:
        lines.append(f"- {n['created_at'][:10]} {n['author']}:")
        lines += [f"  > {line}" for line in n["text"].splitlines()]
    if not data["private_notes"]:
        lines.append("None.")
    lines += ["", "## Skills and endorsements", ""]
    for sk in data["skills"]:
        lines.append(f"- {sk['skill']}, level {sk['level']}")
    for e in data["endorsements"]:
        comment = f": \u201c{e['comment']}\u201d" if e["comment"] else ""
        lines.append(f"- {e['skill']} endorsed by {e['by']}{comment}")
    if not data["skills"] and not data["endorsements"]:
        lines.append("None.")
    lines += ["", "## Events", ""]
    lines += [f"- {ev['first_day']} {ev['event']} ({ev['role']})" for ev in data["events"]]
    for t in data["event_targets"]:
        note = f": {t['note']}" if t["note"] else ""
        lines.append(f"- {t['first_day']} {t['event']}: a target of {t['chosen_by'] or '?'}{note}")
    if not data["events"] and not data["event_targets"]:
        lines.append("None.")
    lines += ["", "## Projects", ""]
    for m in data["project_memberships"]:
        name = m["project"] or "(a project not visible to you)"
        lines.append(f"- {name}: {m['role']} ({m['side']})")
    for jp in data["joint_projects"]:
        title = jp["title"] or "(a joint project not visible to you)"
        partner = f" with {jp['partner']}" if jp["partner"] else ""
        lines.append(f"- {title}{partner} ({jp['side']}, {jp['status']})")
    if not data["project_memberships"] and not data["joint_projects"]:
        lines.append("None.")
    lines += ["", "## Legal basis", ""]
    basis = data["legal_basis"]
    if basis:
        lines.append(f"- {basis['legal_basis_label']}")
        if basis["consent_given_at"]:
            lines.append(f"- Consent given: {basis['consent_given_at']}")
        if basis["consent_withdrawn_at"]:
            lines.append(f"- Consent withdrawn: {basis['consent_withdrawn_at']}")
        if basis["source"]:
            lines.append(f"- Source: {basis['source']}")
        if basis["note"]:
            lines.append(f"- Note: {basis['note']}")
    else:
        lines.append("No legal basis recorded.")
    lines += ["", "## Access log", ""]
    lines += [
        f"- {e['at'][:19]} {e['user']}: {e['action']} {e['detail']}".rstrip() for e in data["audit"]
    ]
    if not data["audit"]:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def export_json(data: dict[str, Any]) -> str:
    """The export as indented UTF-8 JSON text."""
    return json.dumps(data, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class ErasurePreview:
    """What an erasure of one person would remove or change (counts only)."""

    emails: int
    phones: int
    positions: int
    relationships: int
    interactions_left: int
    interactions_deleted: int
    has_user_account: bool
    document_versions_deleted: int = 0


def preview_erasure(user: User, person: Person) -> ErasurePreview:
    """Counts of what :func:`geflecht.privacy.actions.erase_person` would do; same checks."""
    if not can_see_person(user, person):
        raise _not_found()
    if not can_erase(user, person):
        raise PermissionDenied(_("Only an admin of your company may erase this person."))
    from geflecht.privacy.actions import _traces, documents_naming

    sizes = list(
        Interaction.objects.filter(participations__person=person).values_list(
            "participant_count", flat=True
        )
    )
    return ErasurePreview(
        emails=ContactEmail.objects.filter(person=person).count(),
        phones=ContactPhone.objects.filter(person=person).count(),
        positions=Position.objects.filter(person=person).count(),
        relationships=Relationship.objects.filter(
            Q(person_a_id=person.pk) | Q(person_b_id=person.pk)
        ).count(),
        interactions_left=sum(1 for n in sizes if n > 2),
        interactions_deleted=sum(1 for n in sizes if n <= 2),
        has_user_account=User.objects.filter(person=person).exists(),
        document_versions_deleted=len(documents_naming(person.tenant_id, _traces(person))),
    )


def audit_entries(
    user: User, *, person_id: int | None = None, action: str | None = None
) -> QuerySet[AuditEntry]:
    """The tenant's audit log, newest first; tenant admins only (``PermissionDenied``)."""
    if not is_tenant_admin(user):
        raise PermissionDenied(_("Only an admin of your company may read the audit log."))
    from geflecht.privacy.actions import flush_audit_reads

    flush_audit_reads()  # this process's buffered reads belong in the answer
    entries = AuditEntry.objects.filter(tenant_id=user.tenant_pk)
    if person_id is not None:
        entries = entries.filter(person_id=person_id)
    if action:
        entries = entries.filter(action=action)
    return entries.order_by("-at", "-id")


def people_without_basis(user: User) -> QuerySet[Person]:
    """Visible people with no legal basis, or whose consent was withdrawn (to review)."""
    from geflecht.people.queries import visible_people

    return visible_people(user).filter(
        Q(privacy__isnull=True)
        | Q(privacy__legal_basis="consent", privacy__consent_withdrawn_at__isnull=False)
        | Q(privacy__legal_basis="consent", privacy__consent_given_at__isnull=True)
    )
