"""geflecht network: my neighbourhood, recommendations and network analytics."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geflecht.network import communities, reach
from geflecht.people.cli import get_user


class Command(BaseCommand):
    help = (
        "Network views: neighbourhood (1st-3rd degree), recommend, brokers, influence, "
        "holes (structural holes), communities, risk (key-person risk per customer)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "view",
            choices=[
                "neighbourhood",
                "recommend",
                "brokers",
                "influence",
                "holes",
                "communities",
                "risk",
            ],
        )
        parser.add_argument("--user")
        parser.add_argument("-k", type=int, default=10)
        parser.add_argument("--city")
        parser.add_argument("--industry")
        parser.add_argument("--min-strength", type=float, default=0.0)
        parser.add_argument(
            "--radius", type=int, choices=[1, 2, 3], default=3, help="degrees (neighbourhood)"
        )

    def handle(self, *args, view, user, k, city, industry, min_strength, radius, **options):
        account = get_user(user)
        out = self.stdout.write
        if view == "neighbourhood":
            hood = reach.neighbourhood(
                account,
                radius=radius,
                city=city,
                industry=industry,
                min_strength=min_strength,
                limit=k,
            )
            out(
                "people by degree: "
                + ", ".join(f"{d}: {c}" for d, c in enumerate(hood.counts, start=1))
            )
            for person, degree, strength in hood.people:
                out(f"  {degree}. {person.full_name} ({strength:.3f})")
        elif view == "recommend":
            for s in reach.recommendations(account, k=k):
                out(f"{s.person.full_name} ({s.score:.3f}): " + "; ".join(s.reasons))
        elif view == "brokers":
            ranked, stderr = reach.brokers(account, k=k)
            note = "exact" if stderr == 0 else f"sampled, standard error up to {stderr:.4f}"
            out(f"Brokers (normalised betweenness, {note}):")
            for r in ranked:
                out(f"  {r.person.full_name}: {r.value:.4f}")
        elif view == "influence":
            for r in reach.influence(account, k=k):
                out(f"{r.person.full_name}: PageRank {r.value:.5f}")
        elif view == "holes":
            for person, c in reach.structural_holes(account, k=k):
                out(f"{person.full_name}: Burt constraint {c:.3f}")
        elif view == "communities":
            # The company's communities, as the network page and the API show them.
            groups = communities.communities(account, limit=k)
            modularity = communities.modularity_of(account)
            out(f"{len(groups)} communities, modularity {modularity:.3f}")
            for group in groups:
                out(f"  {group.size} people: {group.names}")
        else:
            for risk in reach.key_person_risks(account)[:k]:
                out(risk.text())
