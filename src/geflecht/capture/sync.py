"""One sync of a connected account: connector -> records -> the importers' loader.

The connectors (:mod:`.imap`, :mod:`.caldav_sync`, :mod:`.carddav_sync`) speak the
protocols and yield the same records a file import reads; the loader
(:func:`geflecht.importers.load.load_records`) matches people and writes interactions,
upcoming meetings and ties exactly as for an uploaded file. This module decides what is
private and what a sharing rule shares, remembers what each account created, keeps the
account's sync state, and turns failures into an account status with a back-off.

A sync writes in batches, each its own transaction, and stores the connector's state
after the batch it belongs to; a worker killed half-way leaves whole batches, and the
next run fetches again what came after the last stored state (the loader finds the
records it already has by their external id and adds nothing twice).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from geflecht.accounts.models import User
from geflecht.importers.actions import forget_records
from geflecht.importers.load import ImportReport, load_records
from geflecht.importers.parsers.ics import classify_kind, meeting_people
from geflecht.importers.parsers.records import (
    ContactRecord,
    InteractionRecord,
    ParseProblem,
)
from geflecht.lib.errors import message_of
from geflecht.network.models import Interaction, UpcomingMeeting

from . import secrets
from .actions import backoff, me_addresses
from .caldav_sync import CalendarEvent
from .connectors import dav_account, imap_account
from .errors import AuthenticationFailed, ConnectorError
from .models import AccountKind, AccountStatus, CapturedRecord, ConnectedAccount
from .sharing import SharingPolicy, hidden_addresses, policy_for

log = logging.getLogger(__name__)

__all__ = ["forget_account", "run_sync"]

#: ``progress(done, total, message)``, as jobs.runner.Progress takes it.
ProgressFn = Callable[..., None]


# -- one sync ----------------------------------------------------------------------------


def run_sync(account_id: int, progress: ProgressFn | None = None) -> dict:
    """Sync the account now; return what it brought (also kept on the account).

    A connector failure is kept on the account in words and raised again, so the job
    ends failed with that message. A refused password stops automatic syncs until the
    user changes it (a server that locks accounts after some failed sign-ins would
    otherwise lock the user out of their own mail); other failures back off.
    """
    try:
        account = ConnectedAccount.objects.select_related("owner", "owner__person").get(
            pk=account_id
        )
    except ConnectedAccount.DoesNotExist:
        return {"skipped": "the account was disconnected"}
    if account.status == AccountStatus.PAUSED:
        return {"skipped": "the account is paused"}
    progress = progress or (lambda *a, **k: None)
    started = timezone.now()
    try:
        password = secrets.decrypt(account.secret)
        tally = _Tally()
        if account.kind == AccountKind.MAIL:
            _sync_mail(account, password, tally, progress)
        elif account.kind == AccountKind.CALENDAR:
            _sync_calendar(account, password, tally, progress)
        else:
            _sync_contacts(account, password, tally, progress)
    except Exception as exc:
        # Whatever stopped it, the account says so and the next automatic try backs off
        # (an unexpected error too: it would otherwise be retried every minute).
        _failed(account, exc, started)
        raise
    result = tally.as_dict()
    totals = Counter(account.totals.get("counts", {}))
    totals.update(result["counts"])
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.OK,
        failures=0,
        last_error="",
        last_sync_at=started,
        last_success_at=started,
        next_sync_at=started + timedelta(minutes=account.interval_minutes),
        last_result=result,
        totals={"counts": dict(totals)},
    )
    return result


def _failed(account: ConnectedAccount, exc: Exception, started: datetime) -> None:
    failures = account.failures + 1
    refused = isinstance(exc, AuthenticationFailed | secrets.SecretUnreadable)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.AUTH_FAILED if refused else AccountStatus.ERROR,
        failures=failures,
        last_error=_message(exc)[:2000],
        last_sync_at=started,
        next_sync_at=None if refused else started + backoff(failures, account.interval_minutes),
    )
    log.warning("sync of account %s failed: %s", account.pk, type(exc).__name__)


def _message(exc: Exception) -> str:
    if isinstance(exc, ConnectorError | secrets.SecretUnreadable):
        return message_of(exc)
    return _("An unexpected error stopped the sync; the administrator finds it in the log.")


class _Tally:
    """What a sync brought, summed over its loads."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.left_out: Counter[str] = Counter()
        self.problems: list[str] = []
        self.notes: list[str] = []

    def add(self, report: ImportReport) -> None:
        self.counts["read"] += report.entries
        self.counts["people_created"] += report.people.created
        self.counts["interactions_created"] += report.interactions.created
        self.counts["interactions_unchanged"] += report.interactions.unchanged
        self.counts["upcoming"] += len(report.created_ids.get("upcoming_meetings", ()))
        self.counts["ties_created"] += len(report.created_ids.get("relationships", ()))
        self.left_out.update(report.ignored)
        self.problems.extend(str(p) for p in report.problems[: 50 - len(self.problems)])

    def as_dict(self) -> dict:
        return {
            "counts": {k: v for k, v in self.counts.items() if v},
            "left_out": dict(self.left_out),
            "problems": self.problems[:50],
            "notes": self.notes,
        }


def _remember(account: ConnectedAccount, report: ImportReport) -> None:
    rows = [
        CapturedRecord(account=account, model=model, object_id=pk)
        for model, ids in report.created_ids.items()
        for pk in ids
    ]
    CapturedRecord.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


def _load(
    account: ConnectedAccount,
    records: Sequence[ContactRecord | InteractionRecord | ParseProblem],
    *,
    kind: Literal["contacts", "interactions"],
    tally: _Tally,
    me: set[str],
    policy: SharingPolicy | None = None,
) -> None:
    """Load ``records`` private to the owner, those the policy shares company-wide, and
    remember what was created."""
    user: User = account.owner
    source = f"{account.kind}:{account.pk}"
    groups: dict[bool, list] = {True: [], False: []}
    candidates = [
        rec
        for rec in records
        if policy is not None
        and isinstance(rec, InteractionRecord)
        and policy.visibility_of(rec, me) == "company"
    ]
    hidden = hidden_addresses(user, {p.email for rec in candidates for p in rec.participants} - me)
    shared_ids = {
        id(rec) for rec in candidates if not any(p.email in hidden for p in rec.participants)
    }
    for rec in records:
        groups[id(rec) in shared_ids].append(rec)
    for shared, group in groups.items():
        if not group:
            continue
        report = load_records(
            group,
            user=user,
            kind=kind,
            source=source,
            name=str(account),
            private=not shared,
            me=me,
            own_address_book=kind == "contacts",
        )
        _remember(account, report)
        tally.add(report)
        if shared:
            tally.counts["shared"] += report.interactions.created


# -- mail --------------------------------------------------------------------------------


def _sync_mail(account: ConnectedAccount, password: str, tally: _Tally, progress) -> None:
    from .imap import sync_mailbox

    me = me_addresses(account.owner, account)
    policy = policy_for(account.owner)
    done = 0
    with sync_mailbox(
        imap_account(account, password),
        account.state or None,
        folders=account.options.get("folders") or None,
        me=me,
        keep_subject=bool(account.options.get("keep_subject")),
    ) as changes:
        for batch in changes:
            _load(account, batch.items, kind="interactions", tally=tally, me=me, policy=policy)
            # The state moves on only after its batch is stored (see the module docstring).
            ConnectedAccount.objects.filter(pk=account.pk).update(state=batch.state)
            done += len(batch.items)
            progress(done, None, _("%(n)d messages read") % {"n": done})
        tally.notes.extend(changes.notices)


# -- calendar ----------------------------------------------------------------------------


def _record_of(event: CalendarEvent) -> InteractionRecord | None:
    """The interaction (or upcoming meeting) an event is, as the .ics importer reads it:
    None for an event with nobody but its organiser."""
    organizer = event.organizer
    participants, _rooms = meeting_people(
        (organizer.email, organizer.name) if organizer is not None else None,
        ((a.email, a.name, a.cutype, a.partstat, a.role) for a in event.attendees),
    )
    if not any(p.role == "attendee" for p in participants):
        return None
    kind, conference_url = classify_kind(
        location=event.location,
        texts=[event.summary],
        all_day=event.all_day,
        n_people=len(participants),
        event_attendee_threshold=settings.GEFLECHT_LARGE_EVENT_ATTENDEES,
    )
    if event.is_large:
        kind = "event"
    minutes = int((event.end - event.start).total_seconds() // 60)
    return InteractionRecord(
        source_format="caldav",
        entry_no=0,
        external_id=event.external_id,
        kind=kind,
        start=event.start,
        duration_minutes=minutes if minutes > 0 else None,
        subject=event.summary[:300],
        location=event.location[:200],
        participants=tuple(participants),
        # A large event creates no person for each guest: it counts only between the
        # people already known, as a mass mailing does.
        is_bulk=event.is_large,
        bulk_reason="many recipients" if event.is_large else "",
        source_file=event.href,
        all_day=event.all_day,
        conference_url=conference_url,
    )


def _sync_calendar(account: ConnectedAccount, password: str, tally: _Tally, progress) -> None:
    from .caldav_sync import sync_calendar

    changes, state = sync_calendar(
        dav_account(account, password),
        account.options.get("collection") or None,
        account.state or None,
        large_event_attendees=settings.GEFLECHT_LARGE_EVENT_ATTENDEES,
        default_tz=settings.TIME_ZONE,
    )
    source = f"{account.kind}:{account.pk}"
    # What the server changed is written again from its version: the stored occurrences
    # of a changed series within the synced window, and of a deleted series everywhere,
    # go first (their strengths are recomputed), then the events are loaded anew.
    with transaction.atomic():
        stored = _occurrences(account, source, changes.deleted_uids, None)
        stored += _occurrences(
            account, source, changes.changed_uids, (changes.window_start, changes.window_end)
        )
        _forget(account, [(model, pk) for model, pk, _ext in stored])
    me = me_addresses(account.owner, account)
    records: list[InteractionRecord | ParseProblem] = list(changes.problems)
    for event in changes.events:
        if event.cancelled:
            tally.left_out["cancelled"] += 1
            continue
        rec = _record_of(event)
        if rec is None:
            tally.left_out["no attendees besides the organiser"] += 1
            continue
        records.append(rec)
    progress(0, len(records), _("%(n)d events read") % {"n": len(records)})
    _load(
        account, records, kind="interactions", tally=tally, me=me, policy=policy_for(account.owner)
    )
    kept = {rec.external_id for rec in records if isinstance(rec, InteractionRecord)}
    tally.counts["removed"] += len({ext for _m, _pk, ext in stored} - kept)
    ConnectedAccount.objects.filter(pk=account.pk).update(state=state.to_dict())


def _occurrences(
    account: ConnectedAccount,
    source: str,
    uids: Iterable[str],
    window: tuple[datetime, datetime] | None,
) -> list[tuple[str, int, str]]:
    """The interactions and upcoming meetings this account holds of the series ``uids``
    (within ``window`` when given), as ``(model, id, external_id)``. An occurrence's
    external id is its series' UID, or ``UID/start`` for one of a recurring series."""
    uids = set(uids)
    if not uids:
        return []
    found: list[tuple[str, int, str]] = []
    tables: list[tuple[type[Interaction] | type[UpcomingMeeting], str, str]] = [
        (Interaction, "interactions", "occurred_at"),
        (UpcomingMeeting, "upcoming_meetings", "starts_at"),
    ]
    for model, name, when in tables:
        rows: QuerySet = model.objects.filter(tenant_id=account.tenant_id, source=source)
        if window is not None:
            rows = rows.filter(**{f"{when}__gte": window[0], f"{when}__lte": window[1]})
        # Matched here, not in SQL: an OR of a prefix test per UID outgrows SQLite's
        # expression limit when a whole calendar changes.
        for pk, ext in rows.values_list("pk", "external_id"):
            if ext in uids or ext.rpartition("/")[0] in uids:
                found.append((name, pk, ext))
    return found


def _forget(account: ConnectedAccount, items: list[tuple[str, int]]) -> int:
    if not items:
        return 0
    by_model: dict[str, list[int]] = {}
    for model, pk in items:
        by_model.setdefault(model, []).append(pk)
    removed = sum(forget_records(account.owner, by_model).deleted.values())
    for model, ids in by_model.items():
        CapturedRecord.objects.filter(account=account, model=model, object_id__in=ids).delete()
    return removed


# -- address book ------------------------------------------------------------------------


def _sync_contacts(account: ConnectedAccount, password: str, tally: _Tally, progress) -> None:
    from .carddav_sync import sync_addressbook

    changes, state = sync_addressbook(
        dav_account(account, password),
        account.options.get("collection") or None,
        account.state or None,
    )
    names = dict(account.options.get("card_names", {}))
    records: list[ContactRecord | ParseProblem] = list(changes.problems)
    for card in changes.cards:
        records.append(card.record)
        names[card.uid] = card.record.display_name[:200]
    progress(0, len(records), _("%(n)d cards read") % {"n": len(changes.cards)})
    me = me_addresses(account.owner, account)
    _load(account, records, kind="contacts", tally=tally, me=me)
    # A card deleted on the server is reported, not deleted here: the person may be
    # known from mail and meetings, and the user decides.
    deleted = [names.pop(card.uid, "") or card.uid for card in changes.deleted]
    if deleted:
        tally.counts["cards_deleted"] += len(deleted)
        tally.notes.append(
            _("Deleted in the address book, kept in Geflecht: %(names)s")
            % {"names": ", ".join(sorted(deleted)[:20]) + (" …" if len(deleted) > 20 else "")}
        )
    options = {**account.options, "card_names": names}
    ConnectedAccount.objects.filter(pk=account.pk).update(state=state.to_dict(), options=options)


# -- forgetting --------------------------------------------------------------------------


def forget_account(account: ConnectedAccount) -> int:
    """Remove everything ``account`` brought in that nobody else relies on, and make the
    graph forget it; return how many records went."""
    by_model: dict[str, set[int]] = {}
    for model, pk in CapturedRecord.objects.filter(account=account).values_list(
        "model", "object_id"
    ):
        by_model.setdefault(model, set()).add(pk)
    # Upcoming meetings that took place became interactions of the same source.
    source = f"{account.kind}:{account.pk}"
    tables: list[tuple[type[Interaction] | type[UpcomingMeeting], str]] = [
        (Interaction, "interactions"),
        (UpcomingMeeting, "upcoming_meetings"),
    ]
    for table, name in tables:
        ids = table.objects.filter(tenant_id=account.tenant_id, source=source).values_list(
            "pk", flat=True
        )
        by_model.setdefault(name, set()).update(ids)
    if not any(by_model.values()):
        return 0
    forgotten = forget_records(account.owner, {m: sorted(ids) for m, ids in by_model.items()})
    removed = sum(forgotten.deleted.values())
    CapturedRecord.objects.filter(account=account).delete()
    return removed
