"""Me, my teams and my personal API tokens."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from geflecht.accounts.actions import (
    create_token,
    link_person,
    revoke_token,
    suggest_person_for,
    unlink_person,
)
from geflecht.accounts.models import ApiToken
from geflecht.api.auth import TenantSessionAuth, TokenAuth
from geflecht.api.types import BodyId, Id
from geflecht.lib.errors import NotFound

token_auth = TokenAuth()
session_auth = TenantSessionAuth()
router = Router()


class MeOut(Schema):
    id: int
    username: str
    tenant: str
    role: str
    person_id: Id | None
    teams: list[str]


class MyPersonOut(Schema):
    person_id: Id | None = Field(..., description="The person this login is; null: none yet.")
    name: str | None = Field(..., description="That person's full name.")
    suggested_person_id: Id | None = Field(
        ...,
        description=(
            "Without a person: the one company-visible, unlinked person with this login's "
            "e-mail address, if exactly one exists."
        ),
    )


class MyPersonIn(Schema):
    person_id: BodyId = Field(
        ..., description="A person you may see who is linked to no other login."
    )


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100, pattern=r"\S")


class TokenOut(Schema):
    id: int
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response=MeOut, summary="Who I am")
def me(request):
    user = request.auth
    return MeOut(
        id=user.pk,
        username=user.username,
        tenant=user.tenant.name,
        role=user.role,
        person_id=user.person_id,
        teams=list(user.teams.values_list("name", flat=True)),
    )


def _my_person(user) -> MyPersonOut:
    person = user.person
    suggested = suggest_person_for(user) if person is None else None
    return MyPersonOut(
        person_id=getattr(person, "pk", None),
        name=getattr(person, "full_name", None),
        suggested_person_id=getattr(suggested, "pk", None),
    )


@router.get("/me/person", response=MyPersonOut, summary="The person my login is")
def my_person(request):
    return _my_person(request.auth)


@router.put(
    "/me/person",
    response=MyPersonOut,
    summary="Link my login to a person (404 as for a missing id, 409 when another login has it)",
)
def set_my_person(request, payload: MyPersonIn):
    user = request.auth
    link_person(user, user, payload.person_id)
    return _my_person(user)


@router.delete("/me/person", response=MyPersonOut, summary="Unlink my login from its person")
def delete_my_person(request):
    user = request.auth
    unlink_person(user, user)
    return _my_person(user)


@router.get("/tokens", response=list[TokenOut], summary="My API tokens")
def list_tokens(request):
    return list(ApiToken.objects.filter(user=request.auth))


@router.post(
    "/tokens",
    response={201: NewTokenOut},
    summary="Create an API token (the secret is shown only in this response)",
)
def new_token(request, payload: TokenIn):
    token, secret = create_token(request.auth, payload.name)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": secret})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of my tokens")
def delete_token(request, token_id: Id):
    try:
        revoke_token(request.auth, token_id)
    except ApiToken.DoesNotExist as exc:
        raise NotFound(str(exc)) from None
    return Status(204, None)
