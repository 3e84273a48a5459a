"""Connected accounts: connect, list, change, sync now, disconnect and forget; the
sharing rule and exclusion list. A user sees and changes only their own accounts; no
answer ever contains a password."""

from datetime import datetime
from typing import Any, Literal

from ninja import Router, Schema
from pydantic import Field

from geflecht.api.jobs import JobOut, job_out
from geflecht.api.types import Id
from geflecht.capture import actions, queries
from geflecht.capture.models import ConnectedAccount

router = Router()


class AccountIn(Schema):
    kind: Literal["imap", "caldav", "carddav"]
    server: str = Field(max_length=500, description="IMAP host, or the CalDAV/CardDAV URL")
    username: str = Field(max_length=254)
    password: str = Field(description="Stored encrypted, never returned")
    port: int | None = None
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    label: str = ""
    folders: list[str] = []
    keep_subject: bool = False
    aliases: list[str] = []
    collection: str = ""
    interval_minutes: int | None = None


class AccountPatch(Schema):
    password: str | None = None
    interval_minutes: int | None = None
    folders: list[str] | None = None
    keep_subject: bool | None = None
    aliases: list[str] | None = None
    paused: bool | None = None
    version: int | None = None


class AccountOut(Schema):
    id: int
    kind: str
    label: str
    server: str
    port: int | None
    security: str
    username: str
    options: dict[str, Any]
    interval_minutes: int
    status: str
    last_sync_at: datetime | None
    last_success_at: datetime | None
    next_sync_at: datetime | None
    last_error: str
    last_result: dict[str, Any]
    totals: dict[str, Any]
    captured: dict[str, int]
    version: int


class ForgetOut(Schema):
    removed: int


class SharingIO(Schema):
    org_kinds: list[str] = []
    exclusions: list[str] = []


def account_out(account: ConnectedAccount) -> dict:
    options = {k: v for k, v in account.options.items() if k != "card_names"}
    return {
        "id": account.pk,
        "kind": account.kind,
        "label": str(account),
        "server": account.server,
        "port": account.port,
        "security": account.security,
        "username": account.username,
        "options": options,
        "interval_minutes": account.interval_minutes,
        "status": account.status,
        "last_sync_at": account.last_sync_at,
        "last_success_at": account.last_success_at,
        "next_sync_at": account.next_sync_at,
        "last_error": account.last_error,
        "last_result": account.last_result,
        "totals": account.totals,
        "captured": actions.captured_counts(account),
        "version": account.version,
    }


@router.get("/connections", response=list[AccountOut], summary="My connected accounts")
def list_accounts(request):
    return [account_out(a) for a in queries.accounts_of(request.auth)]


@router.post(
    "/connections",
    response={201: AccountOut},
    summary="Connect a mailbox, calendar or address book (signs in first; the first sync starts)",
)
def connect(request, payload: AccountIn):
    account = actions.connect_account(request.auth, actions.AccountInput(**payload.dict()))
    return 201, account_out(account)


@router.get("/connections/{account_id}", response=AccountOut, summary="One connected account")
def get_account(request, account_id: Id):
    return account_out(actions.account_of(request.auth, account_id))


@router.patch("/connections/{account_id}", response=AccountOut, summary="Change an account")
def patch_account(request, account_id: Id, payload: AccountPatch):
    account = actions.account_of(request.auth, account_id)
    changed = actions.update_account(request.auth, account, **payload.dict())
    return account_out(changed)


@router.post("/connections/{account_id}/sync", response={202: JobOut}, summary="Sync now")
def sync(request, account_id: Id):
    account = actions.account_of(request.auth, account_id)
    return 202, job_out(actions.sync_now(request.auth, account))


@router.delete(
    "/connections/{account_id}",
    response=ForgetOut,
    summary="Disconnect; with forget=true (the default) remove everything it brought in",
)
def disconnect(request, account_id: Id, forget: bool = True):
    account = actions.account_of(request.auth, account_id)
    return {"removed": actions.disconnect_account(request.auth, account, forget=forget)}


@router.get("/connections-sharing", response=SharingIO, summary="What of my captures is shared")
def get_sharing(request):
    sharing = queries.sharing_of(request.auth)
    return {"org_kinds": sharing.org_kinds, "exclusions": sharing.exclusions}


@router.put(
    "/connections-sharing", response=SharingIO, summary="Set the sharing rule and exclusions"
)
def put_sharing(request, payload: SharingIO):
    rule = actions.set_sharing(request.auth, payload.org_kinds)
    exclusions = actions.set_exclusions(request.auth, payload.exclusions)
    return {"org_kinds": rule.org_kinds if rule else [], "exclusions": exclusions}
