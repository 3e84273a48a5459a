"""geflecht fair EVENT: who we know there, brokers for our targets, a meeting plan.

Also imports the event's attendee list (--import FILE.csv) and logs the meetings held
there (--log-meetings FILE.csv with columns colleague, person, when, subject).
"""

from __future__ import annotations

import csv
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geflecht.events import actions, queries
from geflecht.events.models import Event
from geflecht.lib.errors import NotFound
from geflecht.people.cli import get_person, get_user


def find_event(user, text: str) -> Event:
    """An event by id or by (part of) its name; the next one when several match."""
    if text.isdigit():
        try:
            return queries.event(user, int(text))
        except NotFound:
            raise CommandError(f"No event with id {text}.") from None
    found = list(queries.events(user).filter(name__icontains=text))
    if not found:
        raise CommandError(f"No event called {text!r}. Try `geflecht fair --list`.")
    today = timezone.localdate()
    coming = sorted((e for e in found if e.end_date >= today), key=lambda e: e.start_date)
    return coming[0] if coming else found[0]


class Command(BaseCommand):
    help = "Who do we know at a trade fair, who can introduce us to our targets, whom to meet."

    def add_arguments(self, parser):
        parser.add_argument("event", nargs="?", help="the event's id or (part of) its name")
        parser.add_argument("--user")
        parser.add_argument("--list", dest="show_list", action="store_true", help="list the events")
        parser.add_argument("--import", dest="import_file", help="attendee list (CSV)")
        parser.add_argument("--role", default="", help="role for rows without one")
        parser.add_argument(
            "--log-meetings",
            help="CSV with columns colleague, person, when (YYYY-MM-DD HH:MM), subject",
        )
        parser.add_argument("--lang", choices=["de", "en"], default="en")

    def handle(self, *args, event, user, show_list, import_file, role, log_meetings, lang, **opts):
        account = get_user(user)
        out = self.stdout.write
        if show_list or not event:
            for ev in queries.events(account):
                out(
                    f"{ev.pk:>5}  {ev.start_date} – {ev.end_date}  {ev.name}"
                    f"  ({ev.place or '-'}; {ev.attendee_count} attendees)"  # type: ignore[attr-defined]
                )
            return
        ev = find_event(account, event)
        out(f"{ev.name}, {ev.start_date} – {ev.end_date}, {ev.place or '-'}")
        if import_file:
            try:
                with open(import_file, "rb") as fh:
                    report = actions.import_attendees(account, ev, fh, default_role=role)
            except OSError as exc:
                raise CommandError(f"Cannot read {import_file}: {exc}") from None
            out(report.summary())
            for p in report.problems:
                self.stderr.write(f"  {p}")
            return
        if log_meetings:
            self._log(account, ev, log_meetings)
            return
        known = queries.who_we_know(account, ev)
        out(f"\nWho we know there ({len(known)}):")
        for k in known[:30]:
            who = ", ".join(f"{w.colleague.full_name} {w.strength:.2f}" for w in k.knowers[:3])
            org = f" ({k.organization})" if k.organization else ""
            out(f"  {k.strength:.2f}  {k.person.full_name}{org}: known by {who}")
        rows = queries.target_brokers(account, ev, lang=lang)
        out(f"\nTargets ({len(rows)}):")
        for r in rows:
            out(f"  {r.label}")
            for present in r.present:
                out(f"    at the fair themselves: {present.full_name}")
            for b in r.brokers[:5]:
                out(
                    f"    broker {b.person.full_name} knows {b.target.full_name} ({b.strength:.2f})"
                )
            out(f"    best path: {r.path.text() if r.path else 'none within four hops'}")
        plan = queries.meeting_plan(account, ev, known=known, target_rows=rows)
        out(f"\nMeeting plan: {plan.explanation}")
        for colleague_plan in plan.plans:
            out(f"  {colleague_plan.colleague.full_name}:")
            for s in colleague_plan.slots:
                when = timezone.localtime(s.starts).strftime("%a %d.%m. %H:%M")
                out(f"    {when}  {s.person.full_name}: {s.reason}")
        if plan.unassigned:
            out("  No slot left for: " + ", ".join(p.full_name for p in plan.unassigned))

    def _log(self, account, ev, path):
        rows: list = []  # a MeetingRow, or None for a row that has a problem
        problems: list[str] = []
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                sample = fh.readline()
                fh.seek(0)
                delimiter = ";" if sample.count(";") > sample.count(",") else ","
                for n, rec in enumerate(csv.DictReader(fh, delimiter=delimiter), start=1):
                    rec = {(k or "").strip().lower(): (v or "").strip() for k, v in rec.items()}
                    try:
                        colleague = get_person(account, rec.get("colleague", ""))
                        person = get_person(account, rec.get("person", ""))
                        when = rec.get("when", "")
                        at = timezone.make_aware(datetime.fromisoformat(when)) if when else None
                    except (CommandError, ValueError) as exc:
                        problems.append(f"row {n}: {exc}")
                        rows.append(None)
                        continue
                    rows.append(
                        actions.MeetingRow(colleague.pk, person.pk, at, rec.get("subject", ""))
                    )
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        # Rows the names could not resolve keep their numbers in the report.
        index = [n for n, r in enumerate(rows, start=1) if r is not None]
        log = actions.log_meetings(account, ev, [r for r in rows if r is not None])
        self.stdout.write(f"{len(log.logged)} meetings logged at {ev.name}.")
        for p in log.problems:
            problems.append(f"row {index[p.row - 1]}, {p.field}: {p.message}")
        for line in problems:
            self.stderr.write(f"  {line}")
