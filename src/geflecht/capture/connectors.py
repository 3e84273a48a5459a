"""The connectors for an account's fields: build their account objects, and sign in
once to check a new account before it is stored."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlsplit

from django.conf import settings

from .models import AccountKind, ConnectedAccount

__all__ = ["dav_account", "imap_account", "probe"]


def _verify() -> bool | str:
    return settings.GEFLECHT_CAPTURE_CA_FILE or True


def _host_of(server: str) -> str:
    return urlsplit(server).netloc or server


def _fields(account: ConnectedAccount | dict) -> dict:
    if isinstance(account, dict):
        return account
    return {k: getattr(account, k) for k in ("server", "port", "username", "security")}


def dav_account(account: ConnectedAccount | dict, password: str):
    from .dav import DavAccount

    f = _fields(account)
    return DavAccount(
        url=str(f["server"]), username=str(f["username"]), password=password, verify=_verify()
    )


def imap_account(account: ConnectedAccount | dict, password: str):
    from .imap import ImapAccount, Security

    f = _fields(account)
    return ImapAccount(
        host=str(f["server"]),
        port=f.get("port"),
        username=str(f["username"]),
        password=password,
        security=cast(Security, f.get("security") or "ssl"),
        ca_file=settings.GEFLECHT_CAPTURE_CA_FILE or None,
    )


def probe(fields: dict, password: str) -> None:
    """Sign in with ``fields`` (as connect_account cleaned them) and look at what the
    account holds; raises a ConnectorError in words when the server cannot be used."""
    kind = fields["kind"]
    if kind == AccountKind.MAIL:
        from .imap import sync_mailbox

        # Signs in and finds the folders (INBOX in any case), reading no message.
        folders = fields["options"].get("folders") or None
        sync_mailbox(imap_account(fields, password), None, folders=folders, me=()).close()
        return
    from .dav import ADDRESS_BOOKS, CALENDARS, DavClient, find_collections

    with DavClient(dav_account(fields, password)) as client:
        found = find_collections(
            client, CALENDARS if kind == AccountKind.CALENDAR else ADDRESS_BOOKS
        )
    wanted = fields["options"].get("collection", "").rstrip("/")
    if wanted and wanted not in {c.url.rstrip("/") for c in found}:
        from .errors import CollectionNotFound

        raise CollectionNotFound(host=_host_of(fields["server"]), path=wanted)
