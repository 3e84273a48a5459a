"""Export the people a user may see, with organisations and relationships.

vCard 4.0 (one card per person: name, e-mail addresses, phone numbers, the current
position as ORG/TITLE and its site as a work ADR, notes, tags), CSV (one row per
person) and JSON (people, organisations and relationships with kind, rating and
strength). Never includes a colleague's private people, nor relationships that
touch them. Everything streams in chunks, so a large tenant exports in bounded memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import TextIO

from django.db.models import Prefetch, Q

from geflecht.accounts.models import User
from geflecht.importers.parsers import Address, ContactRecord, Labelled, write_vcard4
from geflecht.lib.spreadsheet import safe_row
from geflecht.network.queries import visible_relationships
from geflecht.people.models import Person, Position
from geflecht.people.queries import visible_organizations, visible_people

__all__ = ["EXPORT_FORMATS", "export_people", "person_record"]

EXPORT_FORMATS = ("vcard", "csv", "json")
CHUNK = 2000
CSV_COLUMNS = [
    "id", "title", "first_name", "last_name", "emails", "phones", "organization",
    "department", "job_title", "street", "postal_code", "city", "country", "tags", "notes",
    "visibility",
]  # fmt: skip


def _people(user: User) -> Iterator[Person]:
    current = Position.objects.filter(end_date__isnull=True).select_related("organization", "site")
    query = (
        visible_people(user)
        .order_by("pk")
        .prefetch_related(
            "emails", "phones", Prefetch("positions", queryset=current, to_attr="current")
        )
    )
    yield from query.iterator(chunk_size=CHUNK)


def _position(person: Person) -> Position | None:
    prefetched: list[Position] = person.current  # type: ignore[attr-defined]  # to_attr above
    current = sorted(prefetched, key=lambda p: (p.start_date is None, p.pk))
    return current[0] if current else None


def person_record(person: Person) -> ContactRecord:
    """A person (with prefetched ``emails``, ``phones`` and ``current`` positions) as a
    :class:`ContactRecord`, ready for :func:`write_vcard4`."""
    pos = _position(person)
    addresses: tuple[Address, ...] = ()
    if pos is not None and pos.site is not None:
        s = pos.site
        addresses = (
            Address(
                street=s.street, postal_code=s.postal_code, city=s.city, country=s.country,
                label="work",
            ),
        )  # fmt: skip
    emails = sorted(person.emails.all(), key=lambda e: (not e.is_primary, e.email))
    return ContactRecord(
        source_format="geflecht",
        entry_no=0,
        external_id=f"urn:geflecht:person:{person.pk}",
        prefix=person.title,
        given_name=person.first_name,
        family_name=person.last_name,
        formatted_name=person.full_name,
        emails=tuple(Labelled(e.email, e.label) for e in emails),
        phones=tuple(Labelled(p.number, p.label) for p in person.phones.all()),
        addresses=addresses,
        organization=pos.organization.name if pos else "",
        department=pos.department if pos else "",
        job_title=pos.title if pos else "",
        notes=person.notes,
        categories=tuple(person.tags or ()),
    )


def export_people(user: User, fmt: str, stream: TextIO) -> int:
    """Write the people ``user`` may see to ``stream`` as ``fmt``; return how many."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "vcard":
        n = 0
        for person in _people(user):
            stream.write(write_vcard4([person_record(person)]))
            n += 1
        return n
    if fmt == "csv":
        return _csv(user, stream)
    return _json(user, stream)


def _csv(user: User, stream: TextIO) -> int:
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # Names and notes are anybody's input: written as text, never as formulas.
    n = 0
    for person in _people(user):
        pos = _position(person)
        site = pos.site if pos is not None else None
        writer.writerow(
            safe_row(
                [
                    person.pk,
                    person.title,
                    person.first_name,
                    person.last_name,
                    "; ".join(e.email for e in person.emails.all()),
                    "; ".join(p.number for p in person.phones.all()),
                    pos.organization.name if pos else "",
                    pos.department if pos else "",
                    pos.title if pos else "",
                    site.street if site else "",
                    site.postal_code if site else "",
                    site.city if site else "",
                    site.country if site else "",
                    "; ".join(person.tags or ()),
                    person.notes,
                    person.visibility,
                ]
            )
        )
        n += 1
    return n


def _json(user: User, stream: TextIO) -> int:
    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    stream.write('{"people": [')
    n = 0
    for person in _people(user):
        stream.write(("," if n else "") + "\n  " + dump(_person_dict(person)))
        n += 1
    stream.write('\n], "organizations": [')
    people = visible_people(user)
    orgs = visible_organizations(user).order_by("pk")
    for i, org in enumerate(orgs.prefetch_related("sites").iterator(chunk_size=CHUNK)):
        row = {
            "id": org.pk,
            "name": org.name,
            "kind": org.kind,
            "industry": org.industry,
            "employees": org.employees,
            "website": org.website,
            "sites": [
                {
                    "id": s.pk,
                    "name": s.name,
                    "street": s.street,
                    "postal_code": s.postal_code,
                    "city": s.city,
                    "country": s.country,
                }
                for s in org.sites.all()
            ],
        }
        stream.write(("," if i else "") + "\n  " + dump(row))
    stream.write('\n], "relationships": [')
    rels = (
        visible_relationships(user)
        .filter(Q(person_a__in=people) & Q(person_b__in=people))
        .order_by("pk")
        .values_list(
            "pk", "person_a_id", "person_b_id", "kind", "rating", "strength", "last_interaction_at"
        )
    )
    for i, (pk, a, b, kind, rating, strength, last) in enumerate(rels.iterator(chunk_size=CHUNK)):
        row = {
            "id": pk,
            "person_a": a,
            "person_b": b,
            "kind": kind,
            "rating": rating,
            "strength": strength,
            "last_interaction_at": last.isoformat() if last else None,
        }
        stream.write(("," if i else "") + "\n  " + dump(row))
    stream.write("\n]}\n")
    return n


def _person_dict(person: Person) -> dict:
    pos = _position(person)
    return {
        "id": person.pk,
        "title": person.title,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "emails": [{"email": e.email, "label": e.label} for e in person.emails.all()],
        "phones": [{"number": p.number, "label": p.label} for p in person.phones.all()],
        "position": None
        if pos is None
        else {
            "organization_id": pos.organization_id,
            "organization": pos.organization.name,
            "title": pos.title,
            "department": pos.department,
            "site_id": pos.site_id,
        },
        "tags": person.tags or [],
        "notes": person.notes,
        "importance": person.importance,
        "visibility": person.visibility,
    }
