"""geflecht demo --people N --seed S: load the generated Mittelstand demo network."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geflecht.demo.generator import DemoOptions, generate_demo
from geflecht.people.models import Person


class Command(BaseCommand):
    help = "Generate a realistic, seeded demo network of a German Mittelstand firm."

    def add_arguments(self, parser):
        parser.add_argument(
            "--people", type=int, default=2000, help="number of people (default 2000)"
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--degree", type=float, default=20.0, help="mean relationships per person"
        )
        parser.add_argument(
            "--interactions-per-tie",
            type=float,
            default=None,
            help="logged interactions per relationship (default: 3, thinner above 20,000 people)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already has people",
        )

    def handle(self, *args, people, seed, degree, interactions_per_tie, if_empty, **options):
        if people < 10:
            raise CommandError("--people must be at least 10")
        if if_empty and Person.objects.exists():
            self.stdout.write("The database already holds people; demo data not loaded.")
            return
        quiet = options["verbosity"] == 0
        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in bars:
                for bar in bars.values():
                    bar.close()
                bars[phase] = tqdm(total=total, desc=phase, disable=quiet, unit_scale=True)
            bars[phase].update(done - bars[phase].n)

        started = time.monotonic()
        result = generate_demo(
            DemoOptions(
                people=people,
                seed=seed,
                mean_degree=degree,
                interactions_per_tie=interactions_per_tie,
            ),
            progress=progress,
        )
        for bar in bars.values():
            bar.close()
        elapsed = time.monotonic() - started
        counts = ", ".join(f"{v:,} {k}" for k, v in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo network loaded in {elapsed:.1f} s: {counts}."))
        if result.logins:
            lines = [f"  user {u!r} password {p!r}" for u, p in result.logins]
            path = settings.DATA_DIR / "demo-logins.txt"
            path.write_text("\n".join(lines) + "\n")
            path.chmod(0o600)
            listing = "\n".join(lines)
            self.stdout.write(f"Demo logins (also in {path}):\n{listing}")
