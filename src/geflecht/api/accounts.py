"""Me, my teams and my personal API tokens."""

from datetime import datetime

from ninja import Field, Router, Schema, Status

from geflecht.accounts.actions import create_token, revoke_token
from geflecht.accounts.models import ApiToken
from geflecht.api.auth import TenantSessionAuth, TokenAuth
from geflecht.api.types import Id
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
