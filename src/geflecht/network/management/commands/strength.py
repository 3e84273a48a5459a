"""geflecht strength A B: how strong is the tie between two people, and why."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import get_language

from geflecht.network.queries import explain_relationship, relationship_between
from geflecht.people.cli import get_person, get_user


class Command(BaseCommand):
    help = "Explain the strength of the relationship between two people."

    def add_arguments(self, parser):
        parser.add_argument("person_a")
        parser.add_argument("person_b")
        parser.add_argument("--user", help="whose view (default: the only user)")
        parser.add_argument("--lang", choices=["de", "en"], default=None)

    def handle(self, *args, person_a, person_b, user, lang, **options):
        account = get_user(user)
        a, b = get_person(account, person_a), get_person(account, person_b)
        rel = relationship_between(account, a, b)
        if rel is None:
            raise CommandError(f"{a.full_name} and {b.full_name} have no known relationship.")
        result = explain_relationship(rel)
        self.stdout.write(
            f"{a.full_name} – {b.full_name}: " + result.explain(lang or get_language()[:2])
        )
