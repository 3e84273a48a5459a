"""geflecht partners "laser cutting" [--near Stuttgart --radius 100]: which partner can do it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geflecht.partners.queries import find_partners, partner_list
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = "Find partner firms by capability, distance and trust (without a query: list them)."

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="?", help='a capability, e.g. "Laserschneiden"')
        parser.add_argument("--near", help="a place, e.g. Stuttgart")
        parser.add_argument("--radius", type=float, help="km around --near (default 100)")
        parser.add_argument("--user")
        parser.add_argument("--limit", type=int, default=10)
        parser.add_argument("--explain", action="store_true", help="show each trust score's parts")

    def handle(self, *args, query, near, radius, user, limit, explain, **options):
        account = get_user(user)
        if not query:
            total, rows = partner_list(account, limit=limit)
            self.stdout.write(f"# {total} partner and supplier firms")
            for row in rows:
                self.stdout.write(
                    f"{row.organization.name} (id {row.organization.pk}): "
                    f"{row.projects} joint projects, trust {row.trust.score:.2f}"
                )
            return
        try:
            result = find_partners(account, query, near=near, radius_km=radius, limit=limit)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if not result.interpretation.matches:
            raise CommandError(f"No known capability in {query!r}.")
        if not result.hits:
            self.stdout.write("No partner found.")
            return
        for rank, hit in enumerate(result.hits, start=1):
            org = hit.organization
            self.stdout.write(f"{rank}. {org.name} (id {org.pk}) {hit.score:.3f}")
            for reason in hit.reasons:
                self.stdout.write(f"   - {reason}")
            if explain:
                for line in hit.trust.explain():
                    self.stdout.write(f"     · {line}")
