"""geflecht reconnect --user U: important relationships that are cooling down."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from geflecht.events.queries import reconnect_list
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = "List important relationships that went quiet or weakened, with a next step."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="whose network (default: the only user)")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, user, limit, **options):
        account = get_user(user)
        items = reconnect_list(account, limit=limit)
        if not items:
            self.stdout.write("No important relationship is cooling down.")
            return
        today = timezone.now()
        for item in items:
            a = item.advice
            why = (
                f"silent for {a.silence_days:.0f} days (usually every {a.usual_gap_days:.0f})"
                if a.reason == "silent"
                else f"strength fell by {a.decline_share:.0%}"
            )
            met = (
                f"last met {a.last_meeting:%Y-%m-%d} ({(today - a.last_meeting).days} days ago)"
                if a.last_meeting
                else "never met in person"
            )
            if a.next_step == "meet_at_event":
                step = f"meet at {a.event} ({a.event_date:%Y-%m-%d})"
            else:
                step = "meet in person" if a.next_step == "meet" else "call"
            importance = item.person.importance or "-"
            self.stdout.write(
                f"{item.person.full_name} [{importance}]: {why}; "
                f"{item.strength_then:.2f} -> {item.strength_now:.2f}; {met}; next: {step}"
            )
