"""geflecht experts "5 Achs fräsen Titan" [--near Stuttgart --radius 100]: who can do it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.people.cli import get_user
from geflecht.skills.queries import find_experts


class Command(BaseCommand):
    help = "Find experts by skill, place and reachability, each with the reasons."

    def add_arguments(self, parser):
        parser.add_argument("query", help='what they should be able to do, e.g. "Spritzguss"')
        parser.add_argument("--near", help="a place, e.g. Stuttgart")
        parser.add_argument("--radius", type=float, help="km around --near (default 100)")
        parser.add_argument("--user")
        parser.add_argument("--limit", type=int, default=10)

    def handle(self, *args, query, near, radius, user, limit, **options):
        account = get_user(user)
        try:
            result = find_experts(account, query, near=near, radius_km=radius, limit=limit)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for line in result.understood():
            self.stdout.write(f"# {line}")
        if not result.hits:
            self.stdout.write("No experts found.")
            return
        self.stdout.write(f"# {result.total} people match; best {len(result.hits)}:")
        for rank, hit in enumerate(result.hits, start=1):
            self.stdout.write(
                f"{rank}. {hit.person.full_name} (id {hit.person.pk}) {hit.score:.3f}"
            )
            for reason in hit.reasons:
                self.stdout.write(f"   - {reason}")
