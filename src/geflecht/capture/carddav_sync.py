"""CardDAV connector: the cards of one address book since the last sync.

``sync_addressbook(account, url, state)`` returns ``(changes, new_state)``: the new and
changed cards, parsed by the vCard importer's own parser into the
:class:`~geflecht.importers.parsers.records.ContactRecord` it gives the loader (so a
synced card and an imported one are read alike), with the href, etag and UID of each,
and the cards deleted on the server. Changes come by sync token, else by etag
comparison (see :mod:`.dav`). Nothing here touches the database.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geflecht.importers.parsers.records import ContactRecord, ParseProblem
from geflecht.importers.parsers.vcard import parse_vcards

from .dav import ADDRESS_BOOKS, DavAccount, DavClient, SyncState, find_collections, sync_collection

__all__ = ["AddressBookChanges", "DeletedCard", "SyncedCard", "sync_addressbook"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncedCard:
    """A new or changed card. ``uid`` is the vCard UID, else the href (a card without
    one is still known by where it lives); ``record.source_file`` is the href."""

    href: str
    etag: str
    uid: str
    record: ContactRecord


@dataclass(frozen=True, slots=True)
class DeletedCard:
    href: str
    uid: str


@dataclass(frozen=True)
class AddressBookChanges:
    cards: tuple[SyncedCard, ...]
    deleted: tuple[DeletedCard, ...]
    full_sync: bool  # True when the etags were compared (first sync, refused token)
    problems: tuple[ParseProblem, ...] = ()


def sync_addressbook(
    account: DavAccount,
    addressbook_url: str | None = None,
    state: SyncState | Mapping[str, Any] | None = None,
) -> tuple[AddressBookChanges, SyncState]:
    """Sync one address book: ``addressbook_url``, else the state's, else the account's
    first address book. ``state`` is the previous ``new_state`` (or its ``to_dict()``);
    None, or a state of another address book, starts over. Raises a
    :class:`~.dav.DavError` when the server cannot be used.
    """
    prior = _load_state(state)
    with DavClient(account) as client:
        url = addressbook_url or prior.url or find_collections(client, ADDRESS_BOOKS)[0].url
        if prior.url and prior.url != url:
            prior = SyncState()
        delta = sync_collection(client, url, ADDRESS_BOOKS, prior)

    uids = {h: u for h, u in prior.uids.items() if h in delta.etags}
    deleted = [DeletedCard(h, prior.uids.get(h, h)) for h in delta.removed]
    cards: list[SyncedCard] = []
    problems: list[ParseProblem] = []
    for item in delta.fetched:
        source = io.BytesIO(item.data)
        source.name = item.href  # parse_vcards names its records and problems after it
        records: list[ContactRecord] = []
        for got in parse_vcards(source, require_name=False):
            if isinstance(got, ContactRecord):
                records.append(got)
            else:
                problems.append(got)
        if not records:
            continue  # its etag is kept: it is parsed again only when it changes
        record = records[0]
        uid = record.external_id or item.href
        old_uid = uids.get(item.href)
        if old_uid and old_uid != uid:
            deleted.append(DeletedCard(item.href, old_uid))
        uids[item.href] = uid
        cards.append(SyncedCard(item.href, item.etag, uid, record))

    new_state = SyncState(
        url=url, sync_token=delta.sync_token, ctag=delta.ctag, etags=delta.etags, uids=uids
    )
    log.info(
        "address book sync: %d cards changed, %d deleted, %d problems (%s)",
        len(cards),
        len(deleted),
        len(problems),
        "etags compared" if delta.full else "sync token",
    )
    changes = AddressBookChanges(tuple(cards), tuple(deleted), delta.full, tuple(problems))
    return changes, new_state


def _load_state(state: SyncState | Mapping[str, Any] | None) -> SyncState:
    if state is None:
        return SyncState()
    if isinstance(state, SyncState):
        return state
    try:
        return SyncState.from_dict(state)
    except ValueError:
        log.warning("stored address book sync state unreadable: syncing from scratch")
        return SyncState()
