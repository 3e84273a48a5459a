"""Data protection: a person's data export (Art. 15), erasure (Art. 17) and legal basis."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from ninja import Field, Router, Schema

from geflecht.api.types import Id, IsoDateTime
from geflecht.lib.errors import NotFound
from geflecht.people.models import Person
from geflecht.privacy import actions, queries
from geflecht.privacy.models import LegalBasis

router = Router()

if TYPE_CHECKING:  # a type checker cannot read the models' choices: it sees strings
    LegalBasisName = str
else:
    LegalBasisName = Literal[tuple(LegalBasis.values)]


class LegalBasisIn(Schema):
    legal_basis: LegalBasisName
    consent_given_at: IsoDateTime | None = None
    consent_withdrawn_at: IsoDateTime | None = None
    source: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class LegalBasisOut(Schema):
    person_id: int
    legal_basis: str
    consent_given_at: datetime | None = None
    consent_withdrawn_at: datetime | None = None
    source: str
    note: str


def person_for(user, person_id: int, purpose: str) -> Person:
    try:
        return queries.get_person_for(user, person_id, purpose=purpose)
    except Person.DoesNotExist:
        raise NotFound(f"No person with id {person_id}.") from None


@router.get(
    "/persons/{person_id}/export",
    response=dict[str, Any],
    summary="Everything stored about a person (GDPR Art. 15), as JSON",
)
def export(request, person_id: Id):
    return actions.export_person(request.auth, person_for(request.auth, person_id, "export"))


@router.put(
    "/persons/{person_id}/legal-basis",
    response=LegalBasisOut,
    summary="Record the legal basis on which the person's data is kept",
)
def legal_basis(request, person_id: Id, payload: LegalBasisIn):
    user = request.auth
    person = person_for(user, person_id, "export")
    record = actions.set_legal_basis(user, person, **payload.dict())
    return {
        "person_id": person.pk,
        "legal_basis": record.legal_basis,
        "consent_given_at": record.consent_given_at,
        "consent_withdrawn_at": record.consent_withdrawn_at,
        "source": record.source,
        "note": record.note,
    }
