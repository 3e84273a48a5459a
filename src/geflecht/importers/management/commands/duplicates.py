"""geflecht duplicates [--limit N]: people who may be the same person, for review."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geflecht.importers.duplicates import duplicate_pairs
from geflecht.importers.identity import NAME_THRESHOLD
from geflecht.lib.remember import Pending
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = "List pairs of people who may be one person (merge them with geflecht merge)."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="whose view (default: the only user)")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--min-score", type=float, default=NAME_THRESHOLD)

    def handle(self, *args, user, limit, min_score, **options):
        account = get_user(user)
        pairs = duplicate_pairs(account, min_score=min_score, limit=limit, wait=True)
        assert not isinstance(pairs, Pending)  # wait=True: the answer, never "pending"
        if not pairs:
            self.stdout.write("No possible duplicates.")
            return
        for d in pairs:
            self.stdout.write(
                f"{d.score:5.1f} {d.level:9} {d.keep.pk} {d.keep.full_name} <- "
                f"{d.other.pk} {d.other.full_name}: {', '.join(d.reasons)}"
            )
        self.stdout.write("Merge a pair with: geflecht merge SURVIVOR_ID OTHER_ID")
