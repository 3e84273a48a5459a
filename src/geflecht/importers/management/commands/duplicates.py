"""geflecht duplicates [--limit N]: people who may be the same person, for review."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geflecht.importers.identity import NAME_THRESHOLD, find_duplicates
from geflecht.lib.cli import get_user
from geflecht.people.models import Person


class Command(BaseCommand):
    help = "List pairs of people who may be one person (merge them with geflecht merge)."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="whose view (default: the only user)")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--min-score", type=float, default=NAME_THRESHOLD)

    def handle(self, *args, user, limit, min_score, **options):
        account = get_user(user)
        pairs = find_duplicates(account, min_score=min_score, limit=limit)
        if not pairs:
            self.stdout.write("No possible duplicates.")
            return
        ids = {p for d in pairs for p in (d.survivor_id, d.person_id)}
        names = {p.pk: p.full_name for p in Person.objects.filter(pk__in=ids)}
        for d in pairs:
            self.stdout.write(
                f"{d.score:5.1f} {d.level:9} {d.survivor_id} {names[d.survivor_id]} <- "
                f"{d.person_id} {names[d.person_id]}: {', '.join(d.reasons)}"
            )
        self.stdout.write("Merge a pair with: geflecht merge SURVIVOR_ID OTHER_ID")
