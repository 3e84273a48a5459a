"""Writes for data protection: legal basis, audit log, Art. 15 export and Art. 17 erasure.

Each function checks the acting user's rights itself (see ``geflecht.privacy.queries``),
so the API, the web pages and the CLI can stay thin and cannot forget a check.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import Tenant, User
from geflecht.lib.models import Visibility
from geflecht.lib.visibility import require_writer
from geflecht.network import snapshot
from geflecht.network.actions import bump_graph_version, recompute_pairs
from geflecht.network.models import (
    GraphChange,
    Interaction,
    InteractionParticipant,
    Relationship,
)
from geflecht.people.models import ContactEmail, ContactPhone, Person, Position
from geflecht.privacy.models import AuditEntry, LegalBasis, PersonPrivacy
from geflecht.privacy.queries import (
    _not_found,
    can_erase,
    can_see_person,
    export_person_data,
)
from geflecht.skills.actions import erase_person_skills

__all__ = [
    "ErasureReport",
    "collect_audit_reads",
    "erase_person",
    "export_person",
    "flush_audit_reads",
    "log_access",
    "record_missing_legal_bases",
    "set_legal_basis",
    "withdraw_consent",
]


# -- audit log ---------------------------------------------------------------------------


log = logging.getLogger(__name__)


#: The read entries of the request being handled; None outside a request (CLI, jobs).
_request_reads: ContextVar[list[AuditEntry] | None] = ContextVar("request_reads", default=None)


@contextlib.contextmanager
def collect_audit_reads() -> Iterator[None]:
    """Gather the read entries of a request and write them in one INSERT at its end.

    The web and API requests run inside it (``privacy.middleware``), so the trail is
    written before the response leaves: a process that dies takes no read with it, and
    a page that showed a person never lacks its entry. A write the database refuses
    fails the request (the error page, not the data without its trail).
    """
    token = _request_reads.set([])
    try:
        yield
    finally:
        entries = _request_reads.get() or []
        _request_reads.reset(token)
        if entries:
            _write_reads(entries)


def flush_audit_reads() -> int:
    """Write the current request's gathered reads now (before reading the trail)."""
    entries = _request_reads.get()
    if not entries:
        return 0
    _write_reads(entries)
    n = len(entries)
    entries.clear()
    return n


def _write_reads(entries: list[AuditEntry]) -> None:
    """One INSERT in a transaction of its own.

    On PostgreSQL that transaction commits without waiting for its WAL to reach the disk
    (``synchronous_commit = off``, for this transaction only): a commit that waits costs
    a page view 10 ms and more on a busy disk, one that does not a fraction of a
    millisecond. The entry is in the server's hands either way, so no app process that
    dies loses it; only a crash of the database server itself could lose the last
    fraction of a second of read entries (never a change: those wait as usual).
    """
    own = not connection.in_atomic_block  # else the setting would reach the outer writes
    with transaction.atomic(savepoint=False):
        if own and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        AuditEntry.objects.bulk_create(entries)


def log_access(
    user: User, action: str, person_ids: Iterable[int], detail: str = ""
) -> list[AuditEntry]:
    """Record that ``user`` did ``action`` (read, change, export, erase) on these people.

    One entry per person, in one INSERT, so a list page of 50 people costs one query.
    ``detail`` says where or why (``"GET /api/v1/persons/12"``) and must not contain the
    person's name or other personal data: it outlives an erasure.
    """
    if action not in AuditEntry.Action.values:
        raise ValidationError(
            _("Unknown audit action %(a)s; expected one of %(ok)s.")
            % {"a": action, "ok": ", ".join(AuditEntry.Action.values)}
        )
    if not user.tenant_id:
        raise ValidationError(_("Only users of a company can be audited."))
    ids = list(dict.fromkeys(int(pid) for pid in person_ids))
    entries = [
        AuditEntry(
            tenant_id=user.tenant_id,
            user=user,
            username=user.username,
            person_id=pid,
            action=action,
            detail=detail[:500],
        )
        for pid in ids
    ]
    pending = _request_reads.get()
    if action == AuditEntry.Action.READ and pending is not None:
        # Reads are the most frequent entries: a request's are written together when it
        # ends (collect_audit_reads), outside any transaction of its view that may roll
        # back. Changes, exports and erasures are written at once, with their change.
        now = timezone.now()
        for entry in entries:
            entry.at = now
        pending.extend(entries)
        return entries
    return AuditEntry.objects.bulk_create(entries)


# -- legal basis -------------------------------------------------------------------------

_UNSET: Any = object()


@transaction.atomic
def set_legal_basis(
    user: User,
    person: Person,
    legal_basis: str,
    *,
    consent_given_at: datetime | None = _UNSET,
    consent_withdrawn_at: datetime | None = _UNSET,
    source: str = _UNSET,
    note: str = _UNSET,
    now: datetime | None = None,
) -> PersonPrivacy:
    """Record (or change) the legal basis on which the person's data is kept.

    ``legal_basis`` is one of :class:`~geflecht.privacy.models.LegalBasis`. Choosing
    consent without a date records consent as given now. Fields not passed keep their
    stored values. Anybody who may see the person may set it; the change is audited.
    Raises ``ValidationError`` naming the field for a bad value, ``Person.DoesNotExist``
    for a person the user may not see.
    """
    if not can_see_person(user, person):
        raise _not_found()
    require_writer(user)
    if legal_basis not in LegalBasis.values:
        raise ValidationError(
            {
                "legal_basis": _("Unknown legal basis %(b)s; expected one of %(ok)s.")
                % {"b": legal_basis, "ok": ", ".join(LegalBasis.values)}
            }
        )
    now = now or timezone.now()
    record = PersonPrivacy.objects.select_for_update().filter(person=person).first()
    if record is None:
        record = PersonPrivacy(tenant_id=person.tenant_id, person=person)
    record.legal_basis = legal_basis
    for name, value in (
        ("consent_given_at", consent_given_at),
        ("consent_withdrawn_at", consent_withdrawn_at),
        ("source", source),
        ("note", note),
    ):
        if value is not _UNSET:
            setattr(record, name, value)
    for name in ("consent_given_at", "consent_withdrawn_at"):
        value = getattr(record, name)
        if value is not None and timezone.is_naive(value):
            raise ValidationError({name: _("Give the time with its time zone.")})
        if value is not None and value > now:
            raise ValidationError({name: _("This date lies in the future.")})
    if legal_basis == LegalBasis.CONSENT and record.consent_given_at is None:
        record.consent_given_at = now
    if (
        record.consent_withdrawn_at
        and record.consent_given_at
        and record.consent_withdrawn_at < record.consent_given_at
    ):
        raise ValidationError(
            {"consent_withdrawn_at": _("Consent cannot be withdrawn before it was given.")}
        )
    record.updated_by = user
    record.full_clean(exclude=["person", "tenant", "updated_by"])
    record.save()
    log_access(user, AuditEntry.Action.CHANGE, [person.pk], "legal basis")
    return record


def withdraw_consent(user: User, person: Person, *, at: datetime | None = None) -> PersonPrivacy:
    """Record that the person withdrew consent (now, or ``at``).

    The data is not erased by this: deciding whether another basis applies, or erasing,
    is an explicit next step (``erase_person``).
    """
    record = PersonPrivacy.objects.filter(person=person).first()
    if record is None or record.consent_given_at is None:
        raise ValidationError(
            {"consent_withdrawn_at": _("No consent is recorded for this person.")}
        )
    return set_legal_basis(
        user, person, record.legal_basis, consent_withdrawn_at=at or timezone.now()
    )


def record_missing_legal_bases(
    tenant: Tenant, *, source: str = "", now: datetime | None = None
) -> int:
    """Give every person of the tenant without a record a default legal basis.

    Business contacts get legitimate interests (Art. 6(1)(f), the usual basis for B2B
    contact data); private contacts get consent, given ``now``. One INSERT ... SELECT,
    so it is fast at any size (the demo uses it). Returns how many records were created.
    """
    now = now or timezone.now()
    table = connection.ops.quote_name(PersonPrivacy._meta.db_table)
    people = connection.ops.quote_name(Person._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (tenant_id, person_id, legal_basis, consent_given_at, "
            "consent_withdrawn_at, source, note, created_at, updated_at) "
            "SELECT p.tenant_id, p.id, "
            "CASE WHEN p.classification = 'private' THEN %s ELSE %s END, "
            "CASE WHEN p.classification = 'private' THEN %s ELSE NULL END, "
            f"NULL, %s, '', %s, %s FROM {people} p "
            f"WHERE p.tenant_id = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {table} x WHERE x.person_id = p.id)",
            [
                LegalBasis.CONSENT,
                LegalBasis.LEGITIMATE_INTERESTS,
                stamp,
                source,
                stamp,
                stamp,
                tenant.pk,
            ],
        )
        return cursor.rowcount


# -- Art. 15: export ---------------------------------------------------------------------


def export_person(user: User, person: Person, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything stored about ``person`` (see ``export_person_data``), audited as an export."""
    data = export_person_data(user, person, now=now)
    log_access(user, AuditEntry.Action.EXPORT, [person.pk], "Art. 15 export")
    return data


# -- Art. 17: erasure --------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed or changed (counts only: the person is gone)."""

    person_id: int
    emails: int
    phones: int
    positions: int
    relationships: int
    interactions_left: int
    interactions_deleted: int
    strengths_recomputed: int
    user_account_unlinked: bool
    skills: int
    documents_redacted: int = 0
    document_versions_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _erase_skills(person_id: int) -> int:
    """Delete the person's skills and the endorsements of them; return how many rows."""
    return erase_person_skills(person_id)


@transaction.atomic
def erase_person(user: User, person: Person, *, now: datetime | None = None) -> ErasureReport:
    """Erase a person for good (GDPR Art. 17) and return what was removed.

    Deletes the person with their e-mail addresses, phone numbers, positions, notes,
    legal-basis record, relationships (shared and private) and skills. Interactions they
    took part in keep the other participants but lose this person, and their name and
    addresses in those interactions' subjects become "[erased]"; an interaction left
    with fewer than two people is deleted. Project documents forget them too: their name
    and addresses in document titles, file names and version notes become "[erased]",
    and every stored version whose content names them is deleted with its file (a
    document left without versions goes too; see :func:`_erase_from_documents`). Notes,
    comments and descriptions users wrote about others keep their other words
    (:data:`FREE_TEXT`).
    Strengths of the remaining pairs are recomputed. A linked user account stays but
    loses its person. The graph forgets them at once: their ties are logged as removed
    (every process drops them on its next request) and this process drops its snapshot
    so the node itself is gone.

    Only tenant admins, and the owner of a private contact, may erase: others get
    ``PermissionDenied`` (or ``Person.DoesNotExist`` when they may not even see the
    person). The audit trail keeps an "erase" entry with the person's id, not their name.
    """
    now = now or timezone.now()
    locked = (
        Person.objects.select_for_update().filter(pk=person.pk, tenant_id=user.tenant_pk).first()
    )
    if locked is None or not can_see_person(user, locked):
        raise _not_found()
    require_writer(user)
    if not can_erase(user, locked):
        raise PermissionDenied(_("Only an admin of your company may erase this person."))
    tenant_id, pid = locked.tenant_id, locked.pk

    counts = {
        "emails": ContactEmail.objects.filter(person_id=pid).count(),
        "phones": ContactPhone.objects.filter(person_id=pid).count(),
        "positions": Position.objects.filter(person_id=pid).count(),
    }
    removed = _delete_relationships(tenant_id, pid)
    words = _trace_words(locked)
    traces = _traces(locked)
    left, deleted, pairs = _leave_interactions(tenant_id, pid, traces)
    skills = _erase_skills(pid)
    _scrub_intro_requests(tenant_id, pid, traces)
    redacted, versions_deleted = _erase_from_documents(tenant_id, traces)
    # Before the person's own row goes: their own notes go with it anyway.
    _scrub_free_text(tenant_id, words, traces)
    unlinked = User.objects.filter(person_id=pid).update(person=None) > 0
    # Earlier log rows carry the erased ties' strengths; the removal rows logged below
    # supersede them for any process that is behind, so they can go.
    GraphChange.objects.filter(tenant_id=tenant_id).filter(
        Q(person_a_id=pid) | Q(person_b_id=pid)
    ).delete()
    # Cascades to e-mails, phones, positions and the legal-basis record.
    locked.delete()
    recomputed = recompute_in_chunks(tenant_id, pairs, now=now)
    bump_graph_version(tenant_id, removed=removed)
    report = ErasureReport(
        person_id=pid,
        relationships=len(removed),
        interactions_left=left,
        interactions_deleted=deleted,
        strengths_recomputed=recomputed,
        user_account_unlinked=unlinked,
        skills=skills,
        documents_redacted=redacted,
        document_versions_deleted=versions_deleted,
        **counts,
    )
    log_access(
        user,
        AuditEntry.Action.ERASE,
        [pid],
        f"Art. 17 erasure: {len(removed)} relationships, {left + deleted} interactions",
    )
    # The replayed log leaves an isolated node behind; this process rebuilds without it.
    transaction.on_commit(lambda: snapshot.forget(tenant_id))
    return report


def _delete_relationships(tenant_id: int, pid: int) -> list[tuple[int, int, int | None]]:
    """Delete every relationship row of the person; return them as graph-log removals."""
    rows = Relationship.objects.filter(tenant_id=tenant_id).filter(
        Q(person_a_id=pid) | Q(person_b_id=pid)
    )
    removed = [
        (a, b, owner if visibility == Visibility.PRIVATE else None)
        for a, b, visibility, owner in rows.values_list(
            "person_a_id", "person_b_id", "visibility", "owner_id"
        )
    ]
    rows.delete()
    return removed


ERASED = "[erased]"


def _traces(person: Person) -> re.Pattern | None:
    """A pattern for the person's name and addresses as they appear in subjects."""
    words = _trace_words(person)
    if not words:
        return None
    # Longest first, so "Dr. Max Muster" is replaced whole before "Muster" alone.
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _trace_words(person: Person) -> set[str]:
    """The person's names (with their spellings) and e-mail addresses."""
    names = {person.full_name, f"{person.first_name} {person.last_name}".strip()}
    # "Herrn Zwölfhaus" names them; "Weber" alone could be any of the tenant's Webers,
    # whose notes and documents must not suffer for it.
    if (
        len(person.last_name) >= 3
        and not Person.objects.filter(
            tenant_id=person.tenant_id, last_name__iexact=person.last_name
        )
        .exclude(pk=person.pk)
        .exists()
    ):
        names.add(person.last_name)
    # "Zwölfhaus" is written "Zwoelfhaus" in file names and addresses, "Zwolfhaus" by
    # keyboards without umlauts.
    words = {variant for name in names for variant in _spellings(name)}
    words |= set(ContactEmail.objects.filter(person=person).values_list("email", flat=True))
    return {w for w in words if w}


#: Free text about other people and things that may name the erased person, per model
#: (app label, model name) and fields. Interaction subjects, introduction requests and
#: documents have their own steps.
FREE_TEXT = [
    ("people", "Person", ("notes",)),
    ("people", "PrivateNote", ("text",)),
    ("people", "Organization", ("notes",)),
    ("projects", "Project", ("name", "description")),
    ("partners", "JointProject", ("title", "notes")),
    ("partners", "Rating", ("comment",)),
    ("events", "EventTarget", ("note",)),
    ("skills", "PersonSkill", ("note",)),
    ("skills", "Endorsement", ("comment",)),
]


def _scrub_free_text(tenant_id: int, words: set[str], traces: re.Pattern | None) -> int:
    """Replace the person's name and addresses in what users wrote about others (notes,
    comments, descriptions) by "[erased]"; return how many rows changed. The database
    finds the candidate rows (``icontains`` on each spelling), Python replaces whole
    words only."""
    from django.apps import apps

    if traces is None:
        return 0
    changed = 0
    for app_label, model_name, fields in FREE_TEXT:
        model = apps.get_model(app_label, model_name)
        limits = {f: model._meta.get_field(f).max_length for f in fields}
        hit = Q()
        for field in fields:
            for word in words:
                hit |= Q(**{f"{field}__icontains": word})
        rows = model.objects.filter(tenant_id=tenant_id).filter(hit)
        for pk, *values in rows.values_list("pk", *fields).iterator(chunk_size=500):
            update = {}
            for field, value in zip(fields, values, strict=True):
                new = traces.sub(ERASED, value)
                if new != value:
                    update[field] = new[: limits[field]] if limits[field] else new
            if update:
                model.objects.filter(pk=pk).update(**update)
                changed += 1
    return changed


_UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def _spellings(name: str) -> set[str]:
    """A name as written, with umlauts transliterated, and with accents dropped."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).replace("ß", "ss")
    return {name, name.translate(_UMLAUTS), plain}


def _scrub_intro_requests(tenant_id: int, pid: int, traces: re.Pattern | None) -> None:
    """Requests that stay (the person was a hop on their path, or named in a message)
    lose the person: the hop becomes "[erased]", the name in message and note too.
    Requests with the person as requester, broker or target go with the person."""
    from geflecht.intros.models import IntroRequest

    for req in IntroRequest.objects.filter(tenant_id=tenant_id).exclude(
        Q(requester__person_id=pid) | Q(broker_id=pid) | Q(target_id=pid)
    ):
        path = [
            {**step, "label": ERASED, "person_id": None} if step.get("person_id") == pid else step
            for step in req.path
        ]
        message, note = req.message, req.broker_note
        if traces is not None:
            message, note = traces.sub(ERASED, message), traces.sub(ERASED, note)
        if (path, message, note) != (req.path, req.message, req.broker_note):
            IntroRequest.objects.filter(pk=req.pk).update(
                path=path, message=message, broker_note=note
            )


def _scrub(interaction_ids: list[int], traces: re.Pattern | None) -> None:
    """Replace the person's name and addresses in the subjects and places of interactions
    that stay, so "Angebot für Herrn Muster" does not keep the erased name."""
    if traces is None or not interaction_ids:
        return
    for start in range(0, len(interaction_ids), 1000):
        chunk = interaction_ids[start : start + 1000]
        for iid, subject, location in Interaction.objects.filter(id__in=chunk).values_list(
            "id", "subject", "location"
        ):
            new_subject, new_location = traces.sub(ERASED, subject), traces.sub(ERASED, location)
            if (new_subject, new_location) != (subject, location):
                Interaction.objects.filter(pk=iid).update(
                    subject=new_subject[:300], location=new_location[:200]
                )


#: Stored document files larger than this are not read for the person's name: the
#: document limit is far below it.
_SCAN_LIMIT = 64 * 1024 * 1024
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_PDF_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)")
_XML_TAG = re.compile(r"<[^>]+>")


def _texts(data: bytes) -> list[str]:
    """What a person could read in a stored file, as well as it can be told without a
    parser per format: the bytes as text, the XML of Office/OpenDocument files (zip
    archives) with and without their tags, and the strings of PDF content streams."""
    texts = [data.decode("utf-8", "ignore"), data.decode("latin-1")]
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    if info.file_size > _SCAN_LIMIT:
                        continue
                    inner = archive.read(info).decode("utf-8", "ignore")
                    # A word split over two runs is whole without tags; words of two
                    # paragraphs are apart with them replaced by a space.
                    texts += [inner, _XML_TAG.sub("", inner), _XML_TAG.sub(" ", inner)]
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            pass
    if data[:5] == b"%PDF-":
        for raw in _PDF_STREAM.findall(data):
            with contextlib.suppress(zlib.error):
                raw = zlib.decompress(raw)
            strings = [
                s.replace(b"\\(", b"(").replace(b"\\)", b")") for s in _PDF_STRING.findall(raw)
            ]
            for joined in (b"".join(strings), b" ".join(strings)):
                texts += [joined.decode("latin-1"), joined.decode("utf-16-be", "ignore")]
    return texts


def _erase_from_documents(tenant_id: int, traces: re.Pattern | None) -> tuple[int, int]:
    """Take the person out of the tenant's project documents; return (documents whose
    title, file names or notes were redacted, versions deleted).

    A title, file name or note keeps its other words ("Angebot für Herrn [erased]"). A
    stored file cannot be redacted in place without falsifying what was sent, so every
    version whose content names the person (name or e-mail address, also inside Office
    and PDF files) is deleted, its file after the commit; a document left without
    versions is deleted. Every version of the tenant is read: an erasure is rare, and
    a file may name someone who is on no team of its project.
    """
    from geflecht.projects.actions import delete_files_on_commit
    from geflecht.projects.models import Document, DocumentVersion

    if traces is None:
        return 0, 0
    redacted: set[int] = set()
    for doc_id, title in Document.objects.filter(tenant_id=tenant_id).values_list("id", "title"):
        new = _redact_title(title, traces)[:200]
        if new != title:
            Document.objects.filter(pk=doc_id).update(title=new)
            redacted.add(doc_id)
    doomed = documents_naming(tenant_id, traces)
    gone = {pk for pk, _d, _f in doomed}
    versions = DocumentVersion.objects.filter(tenant_id=tenant_id).order_by("id")
    for version in versions.iterator(chunk_size=200):
        if version.pk in gone:
            continue
        filename, note = (
            _redact_filename(version.filename, traces),
            traces.sub(ERASED, version.note),
        )
        if (filename, note) != (version.filename, version.note):
            DocumentVersion.objects.filter(pk=version.pk).update(filename=filename, note=note)
            redacted.add(version.document_id)
    if doomed:
        DocumentVersion.objects.filter(pk__in=[pk for pk, _d, _f in doomed]).delete()
        Document.objects.filter(pk__in={d for _p, d, _f in doomed}, versions__isnull=True).delete()
        # Files go once the rows are gone for good: a rollback keeps both.
        delete_files_on_commit(name for _p, _d, name in doomed)
    return len(redacted), len(doomed)


def documents_naming(
    tenant_id: int, traces: re.Pattern | None
) -> list[tuple[int, int, str | None]]:
    """(version id, document id, stored file name) of the tenant's document versions
    whose stored file names the person (see :func:`_texts`)."""
    from geflecht.projects.models import DocumentVersion

    if traces is None:
        return []
    versions = DocumentVersion.objects.filter(tenant_id=tenant_id, size__lte=_SCAN_LIMIT)
    return [
        (v.pk, v.document_id, v.file.name)
        for v in versions.order_by("id").iterator(chunk_size=200)
        if _names_person(v, traces)
    ]


def _names_person(version, traces: re.Pattern) -> bool:
    try:
        with version.file.open("rb") as fh:
            data = fh.read()
    except OSError:  # the file is gone already: nothing of the person is stored
        return False
    return any(traces.search(text) for text in _texts(data))


_SEPARATORS = re.compile(r"[_\-.]+")


def _redact_title(title: str, traces: re.Pattern) -> str:
    """``Angebot für Herrn Zwölfhaus`` -> ``Angebot für Herrn [erased]``; a title made
    from a file name (``Besuchsbericht_Zwoelfhaus``) -> ``Besuchsbericht [erased]``."""
    new = traces.sub(ERASED, title)
    spaced = _SEPARATORS.sub(" ", new)
    return traces.sub(ERASED, spaced) if traces.search(spaced) else new


def _redact_filename(filename: str, traces: re.Pattern) -> str:
    """``Besuchsbericht_Zwoelfhaus.txt`` -> ``Besuchsbericht_erased.txt``."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    spaced = _SEPARATORS.sub(" ", stem)
    if not (traces.search(stem) or traces.search(spaced)):
        return filename
    # Addresses first (their dots are separators too), then names between separators.
    new = _SEPARATORS.sub(" ", traces.sub("erased", stem))
    new = traces.sub("erased", new).strip().replace(" ", "_") or "erased"
    return f"{new}.{ext}" if dot else new


def _leave_interactions(
    tenant_id: int, pid: int, traces: re.Pattern | None
) -> tuple[int, int, set[tuple[int, int]]]:
    """Take the person out of their interactions (and their name out of the subjects).

    Returns (interactions kept, interactions deleted, relationship pairs whose strength
    must be recomputed: those who shared a kept interaction, whose group got smaller).
    """
    ids = list(
        InteractionParticipant.objects.filter(person_id=pid).values_list(
            "interaction_id", flat=True
        )
    )
    if not ids:
        return 0, 0, set()
    InteractionParticipant.objects.filter(person_id=pid).delete()
    remaining = dict(
        InteractionParticipant.objects.filter(interaction_id__in=ids)
        .values("interaction_id")
        .annotate(n=Count("id"))
        .values_list("interaction_id", "n")
    )
    doomed = [iid for iid in ids if remaining.get(iid, 0) < 2]
    kept = [iid for iid in ids if remaining.get(iid, 0) >= 2]
    Interaction.objects.filter(id__in=doomed).delete()
    by_size: dict[int, list[int]] = defaultdict(list)
    for iid in kept:
        by_size[remaining[iid]].append(iid)
    for size, group in by_size.items():
        Interaction.objects.filter(id__in=group).update(participant_count=size)
    _scrub(kept, traces)
    return len(kept), len(doomed), pairs_sharing(tenant_id, kept)


def recompute_in_chunks(tenant_id: int, pairs: set[tuple[int, int]], *, now: datetime) -> int:
    """``recompute_pairs`` in slices, so that no statement lists too many people."""
    ordered = sorted(pairs)
    done = 0
    for start in range(0, len(ordered), 1000):
        done += recompute_pairs(tenant_id, ordered[start : start + 1000], now=now)
    return done


def pairs_sharing(tenant_id: int, interaction_ids: list[int]) -> set[tuple[int, int]]:
    """Relationship pairs whose two people both took part in one of these interactions.

    Reads the relationships among the participants rather than building every pair of
    a 300-person event, most of which have no relationship at all.
    """
    if not interaction_ids:
        return set()
    took_part: dict[int, set[int]] = defaultdict(set)
    for iid, person_id in InteractionParticipant.objects.filter(
        interaction_id__in=interaction_ids
    ).values_list("interaction_id", "person_id"):
        took_part[person_id].add(iid)
    people = list(took_part)
    pairs = set()
    # Bounded statements: one side by the chunk, the other side checked here.
    for start in range(0, len(people), 500):
        chunk = people[start : start + 500]
        for a, b in Relationship.objects.filter(
            tenant_id=tenant_id, person_a_id__in=chunk
        ).values_list("person_a_id", "person_b_id"):
            if b in took_part and took_part[a] & took_part[b]:
                pairs.add((a, b))
    return pairs
