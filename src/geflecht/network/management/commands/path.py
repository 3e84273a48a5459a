"""geflecht path A B: the best introduction paths between two people, explained."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geflecht.network.reach import PathOptions, introduction_paths
from geflecht.people.cli import get_person, get_user


class Command(BaseCommand):
    help = "Print the best introduction paths from one person (you) to another."

    def add_arguments(self, parser):
        parser.add_argument("source", help="your own name (the user's person)")
        parser.add_argument("target")
        parser.add_argument("--user", help="whose view (default: the user whose person is SOURCE)")
        parser.add_argument("-k", type=int, default=3, help="number of paths (default 3)")
        parser.add_argument("--max-hops", type=int, default=4, help="0 for unlimited (default 4)")
        parser.add_argument("--min-strength", type=float, default=0.0)
        parser.add_argument("--avoid", action="append", default=[], help="a person to avoid")
        parser.add_argument(
            "--colleague-first",
            action="store_true",
            help="only paths whose first hop is a colleague of mine",
        )
        parser.add_argument("--lang", choices=["de", "en"], default="en")

    def handle(
        self,
        *args,
        source,
        target,
        user,
        k,
        max_hops,
        min_strength,
        avoid,
        colleague_first,
        lang,
        **options,
    ):
        account = get_user(user or _username_of(source))
        me = get_person(account, source)
        if me.pk != account.person_id:
            raise CommandError(f"Paths start at the user's own person ({account.username}).")
        goal = get_person(account, target)
        paths = introduction_paths(
            account,
            goal,
            PathOptions(
                k=k,
                max_hops=max_hops or None,
                min_strength=min_strength,
                avoid=[get_person(account, name).pk for name in avoid],
                colleague_first_hop=colleague_first,
                lang=lang,
            ),
        )
        if not paths:
            raise CommandError(
                f"No path from {me.full_name} to {goal.full_name} within the limits."
            )
        for rank, path in enumerate(paths, start=1):
            self.stdout.write(
                f"{rank}. strength {path.strength_text()}, {path.hops} hops: {path.text()}"
            )
            for step in path.steps[1:]:
                if step.person is not None and step.evidence:
                    self.stdout.write(f"     {step.label}: {step.evidence}")


def _username_of(name: str) -> str | None:
    from geflecht.accounts.models import User

    words = name.split()
    if len(words) < 2:
        return None
    users = User.objects.filter(
        person__first_name__iexact=" ".join(words[:-1]), person__last_name__iexact=words[-1]
    )
    return users.values_list("username", flat=True).first() if users.count() == 1 else None
