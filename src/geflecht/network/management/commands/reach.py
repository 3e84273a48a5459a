"""geflecht reach ORG [--city C]: who of us reaches whom at an organisation."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geflecht.network.reach import key_person_risks, team_reach
from geflecht.people.cli import get_user
from geflecht.people.queries import visible_organizations


class Command(BaseCommand):
    help = "Team reach into an organisation (or one of its sites), and its key-person risk."

    def add_arguments(self, parser):
        parser.add_argument("organization", help="name (or part of it)")
        parser.add_argument("--city", help="only people at the site in this city")
        parser.add_argument("--user")
        parser.add_argument("--limit", type=int, default=20)

    def handle(self, *args, organization, city, user, limit, **options):
        account = get_user(user)
        orgs = list(visible_organizations(account).filter(name__icontains=organization)[:5])
        if len(orgs) != 1:
            names = ", ".join(o.name for o in orgs) or "none"
            raise CommandError(f"{organization!r} matches {len(orgs)} organisations: {names}")
        rows = team_reach(account, orgs[0], city=city, limit=limit)
        if not rows:
            self.stdout.write("Nobody of us reaches anyone there within 4 hops.")
        for row in rows:
            self.stdout.write(
                f"{row.target.full_name}: {row.path.strength_text()} via {row.path.text()}"
            )
        for risk in key_person_risks(account, organizations=orgs):
            self.stdout.write(risk.text())
