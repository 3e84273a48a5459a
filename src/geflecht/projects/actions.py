"""Writes on projects, their teams and documents: named, atomic, with clear errors.

Sending a document goes through ``network.actions.record_interaction`` (kind
``document``), so the ties between sender and recipients are strengthened by the
real strength model and the graph version moves with them.
"""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.lib.errors import Conflict
from geflecht.lib.visibility import can_see, covers, require_writer
from geflecht.network.actions import record_interaction
from geflecht.people.actions import require_same_tenant
from geflecht.people.models import BuyingRole, Organization, Person
from geflecht.projects import queries
from geflecht.projects.models import (
    Document,
    DocumentSend,
    DocumentVersion,
    OurRole,
    Project,
    ProjectMember,
    Side,
)

__all__ = [
    "add_member",
    "create_project",
    "delete_document",
    "delete_project",
    "remove_member",
    "rename_document",
    "send_document",
    "update_project",
    "upload_document",
]

_PROJECT_FIELDS = {
    "name",
    "stage",
    "value",
    "start_date",
    "close_date",
    "description",
    "site",
    "parent",
    "visibility",
}


def _check_fields(fields: dict) -> None:
    if unknown := set(fields) - _PROJECT_FIELDS:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _locked(project_id: int) -> Project | None:
    """The project's row, locked until the end of the transaction (None if it is gone).

    Every write on a project, its members or documents takes this lock first, and so
    does its deletion: the two run one after the other, so neither writes rows against
    a project the other has just removed (a foreign-key error, a 500 through the API).
    """
    return Project.objects.select_for_update().filter(pk=project_id).first()


def _gone(project: Project) -> Conflict:
    return Conflict(
        _("%(name)s was deleted in the meantime; nothing was changed.") % {"name": project.name}
    )


def require_change(user: User, project: Project) -> None:
    """Raise PermissionDenied, saying why, unless ``user`` may change the project (the
    rule: ``queries.may_change``). Every change checks it again on the locked row; a door
    may ask first, so that a refused request is refused whatever else it holds."""
    require_writer(user)
    if not queries.may_change(user, project):
        raise PermissionDenied(
            _(
                "Only the project's owner, our team on it or an admin may change %(name)s; "
                "ask %(owner)s to put you on the team."
            )
            % {"name": project.name, "owner": _owner_name(project)}
        )


def _editable(user: User, project: Project) -> Project:
    """The project's locked row if ``user`` may change it (:func:`require_change`); a
    project deleted meanwhile is a Conflict."""
    require_writer(user)
    locked = _locked(project.pk)
    if locked is None:
        raise _gone(project)
    if not can_see(user, locked):
        raise ValidationError(_("This project does not exist."))
    require_change(user, locked)
    return locked


def _deletable(user: User, project: Project) -> None:
    """Raise unless ``user`` may delete the project (the rule: ``queries.may_delete``)."""
    if not can_see(user, project):
        raise ValidationError(_("This project does not exist."))
    if not queries.may_delete(user, project):
        raise PermissionDenied(
            _("Only the project's owner or an admin may delete %(name)s; ask %(owner)s.")
            % {"name": project.name, "owner": _owner_name(project)}
        )


def _owner_name(project: Project) -> str:
    owner = project.owner
    if owner is None:
        return _("an admin")
    return str(owner.person) if owner.person_id else owner.get_username()


@transaction.atomic
def create_project(user: User, organization: Organization, *, name: str, **fields) -> Project:
    """A new project at a customer (or prospect) organisation, owned by ``user``."""
    require_writer(user)
    _check_fields(fields)
    require_same_tenant(user, organization, fields.get("site"), fields.get("parent"))
    if organization.kind == Organization.Kind.OWN:
        raise ValidationError(
            {"organization": _("Projects are run at customers, not at our own company.")}
        )
    project = Project(
        tenant_id=user.tenant_pk, organization=organization, owner=user, name=name.strip(), **fields
    )
    if not covers(organization, project):
        raise ValidationError(
            {
                "visibility": _(
                    "%(org)s is visible to fewer people than this project would be; share the "
                    "organisation first or keep the project to yourself."
                )
                % {"org": organization.name}
            }
        )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def update_project(
    user: User, project: Project, *, expected_version: int | None = None, **fields
) -> Project:
    """Change a project; an edit based on an older ``expected_version`` raises Conflict."""
    # The row lock makes check-and-write one step for two concurrent editors.
    locked = _editable(user, project)
    _check_fields(fields)
    require_same_tenant(user, fields.get("site"), fields.get("parent"))
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _(
                "%(name)s was changed by someone else in the meantime (now version %(now)s, "
                "your edit is based on version %(yours)s). Reload and apply your change again."
            )
            % {"name": locked.name, "now": locked.version, "yours": expected_version},
            current_version=locked.version,
        )
    if "visibility" in fields and locked.owner_id != user.pk:
        raise ValidationError({"visibility": _("Only the project's owner changes who sees it.")})
    for name, value in fields.items():
        setattr(locked, name, value.strip() if name == "name" else value)
    locked.version += 1
    locked.full_clean()
    locked.save(update_fields=[*fields, "version", "updated_at"])
    return locked


@transaction.atomic
def set_skills_needed(user: User, project: Project, skill_ids: Iterable[int]) -> list:
    """What the project asks of our team (the team builder and the skill matrix use it)."""
    from geflecht.skills.models import Skill

    project = _editable(user, project)
    ids = {int(i) for i in skill_ids}
    skills = list(Skill.objects.filter(tenant_id=user.tenant_pk, pk__in=ids))
    if missing := ids - {s.pk for s in skills}:
        raise ValidationError(
            {
                "skill_ids": _("No skill with id %(ids)s.")
                % {"ids": ", ".join(map(str, sorted(missing)))}
            }
        )
    project.skills_needed.set(skills)
    return skills


@transaction.atomic
def delete_project(user: User, project: Project) -> None:
    """Delete a project with its teams and documents (files included, after commit).

    A project someone else deleted meanwhile is gone as asked: that is a success."""
    require_writer(user)
    locked = _locked(project.pk)
    if locked is None:
        return
    _deletable(user, locked)
    project = locked
    names = list(
        DocumentVersion.objects.filter(document__project=project).values_list("file", flat=True)
    )
    project.delete()
    delete_files_on_commit(names)


def delete_files_on_commit(names: Iterable[str | None]) -> None:
    """Delete the stored document files once the transaction that dropped their rows
    commits (a rolled-back delete keeps them)."""
    storage = DocumentVersion._meta.get_field("file").storage
    doomed = [n for n in names if n]

    def delete() -> None:
        for name in doomed:
            storage.delete(name)

    transaction.on_commit(delete)


def _role_side(role: str) -> str:
    if role in OurRole.values:
        return Side.OURS
    if role in BuyingRole.values:
        return Side.THEIRS
    choices = ", ".join([*OurRole.values, *BuyingRole.values])
    raise ValidationError(
        {"role": _("Unknown role %(r)s; one of %(c)s.") % {"r": role, "c": choices}}
    )


@transaction.atomic
def add_member(user: User, project: Project, person: Person, role: str) -> ProjectMember:
    """Put a person on the project: our roles go to our team, buying roles to theirs.

    Adding someone already on the project changes their role.
    """
    project = _editable(user, project)
    if not can_see(user, person):
        raise ValidationError({"person": _("This person does not exist.")})
    side = _role_side(role)
    member, created = ProjectMember.objects.select_for_update().get_or_create(
        project=project,
        person=person,
        defaults={"tenant_id": user.tenant_pk, "side": side, "role": role},
    )
    if not created and (member.side, member.role) != (side, role):
        member.side, member.role = side, role
        member.save(update_fields=["side", "role", "updated_at"])
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    return member


@transaction.atomic
def remove_member(user: User, member: ProjectMember) -> None:
    """Take a person off the project. A member whose project was deleted meanwhile is
    gone with it, as asked: that is a success."""
    require_writer(user)
    project = _locked(member.project_id)
    if project is None:
        return
    _editable(user, project)
    ProjectMember.objects.filter(pk=member.pk).delete()


# ------------------------------------------------------------------------- documents
def allowed_types() -> list[str]:
    return [t.lower().lstrip(".") for t in settings.GEFLECHT_DOCUMENT_TYPES]


def check_upload(name: str, size: int) -> str:
    """The file's extension if its type and size are allowed, else a ValidationError
    that says what is allowed."""
    ext = PurePath(name or "").suffix.lower().lstrip(".")
    allowed = allowed_types()
    if ext not in allowed:
        raise ValidationError(
            {
                "file": _("Files of type “%(ext)s” are not accepted; allowed are: %(allowed)s.")
                % {"ext": ext or _("(none)"), "allowed": ", ".join(allowed)}
            },
            code="file_type",
        )
    limit = settings.GEFLECHT_DOCUMENT_MAX_BYTES
    if size > limit:
        raise ValidationError(
            {
                "file": _("The file has %(size)s bytes; at most %(limit)s bytes are accepted.")
                % {"size": size, "limit": limit}
            },
            code="file_size",
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")}, code="file_empty")
    return ext


@transaction.atomic
def upload_document(
    user: User,
    project: Project,
    upload: File,
    *,
    title: str = "",
    document: Document | None = None,
    note: str = "",
) -> DocumentVersion:
    """Store an uploaded file as version 1 of a new document, or as the next version of
    ``document``. Type and size are checked before anything is written."""
    project = _editable(user, project)
    for field, text in (("title", title), ("note", note)):
        if "\x00" in text:
            raise ValidationError({field: _("Text must not contain NUL characters.")})
    name = PurePath(getattr(upload, "name", "") or "").name.replace("\x00", "")
    ext = check_upload(name, upload.size)
    if document is not None and document.project_id != project.pk:
        raise ValidationError({"document": _("The document belongs to another project.")})
    if document is None:
        title = (title or PurePath(name).stem).strip()[:200]
        if not title:
            raise ValidationError({"title": _("Give the document a title.")})
        document = Document.objects.create(
            tenant_id=user.tenant_pk, project=project, title=title, created_by=user
        )
    # Lock the document: two uploads at once must not take the same number.
    Document.objects.select_for_update().filter(pk=document.pk).first()
    number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    version = DocumentVersion(
        tenant_id=user.tenant_pk,
        document=document,
        number=number,
        filename=get_valid_filename(name)[:200] or f"document.{ext}",
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=upload.size,
        sha256=digest.hexdigest(),
        note=note[:300],
        uploaded_by=user,
    )
    # The stored name is ours, not the uploader's: no path tricks, no clashes.
    stored = version.file.storage.save(
        f"t{user.tenant_id}/p{project.pk}/d{document.pk}/{uuid.uuid4().hex}.{ext}", upload
    )
    try:
        version.file.name = stored
        version.full_clean()
        version.save()
    except Exception:
        version.file.storage.delete(stored)
        raise
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())
    return version


@transaction.atomic
def rename_document(user: User, document: Document, title: str) -> Document:
    """Give a document another title (its versions keep their file names)."""
    _editable(user, document.project)
    title = title.strip()[:200]
    if not title or "\x00" in title:
        raise ValidationError({"title": _("Give the document a title.")})
    Document.objects.filter(pk=document.pk).update(title=title, updated_at=timezone.now())
    document.refresh_from_db()
    return document


@transaction.atomic
def delete_document(user: User, document: Document) -> None:
    """Delete a document with every version (files after commit); its sends stay as the
    interactions they were."""
    _editable(user, document.project)
    names = list(document.versions.values_list("file", flat=True))
    Document.objects.filter(pk=document.pk).delete()
    delete_files_on_commit(names)


@transaction.atomic
def send_document(
    user: User,
    version: DocumentVersion,
    recipients: Iterable[Person | int],
    *,
    occurred_at: datetime | None = None,
    sender: Person | None = None,
    now: datetime | None = None,
) -> DocumentSend:
    """Record that ``version`` was sent to ``recipients``: an interaction of kind
    document (sender -> recipients) through the real action, linked to the project."""
    project = _editable(user, version.document.project)
    sender = sender or user.person
    if sender is None:
        raise ValidationError({"sender": _("Your account is not linked to a person.")})
    ids = list(dict.fromkeys(r.pk if isinstance(r, Person) else int(r) for r in recipients))
    ids = [i for i in ids if i != sender.pk]
    if not ids:
        raise ValidationError({"recipients": _("Name at least one recipient.")})
    interaction = record_interaction(
        tenant=user.company,
        recorded_by=user,
        now=now,
        kind="document",
        occurred_at=occurred_at or now or timezone.now(),
        participants=[(sender.pk, "sender"), *((i, "recipient") for i in ids)],
        subject=f"{version.document.title} v{version.number}"[:300],
        site_id=project.site_id,
        # A team or private project's sends are as restricted as the project.
        visibility=project.visibility,
        source="projects",
    )
    return DocumentSend.objects.create(
        tenant_id=user.tenant_pk, project=project, version=version, interaction=interaction
    )


def recipients_of(send: DocumentSend) -> Sequence[int]:
    return list(
        send.interaction.participations.filter(role="recipient").values_list("person_id", flat=True)
    )
