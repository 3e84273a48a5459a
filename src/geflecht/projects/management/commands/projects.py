"""geflecht projects: list projects, show one, suggest its team, key-person risk."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from geflecht.people.cli import get_user
from geflecht.projects import queries
from geflecht.projects.coverage import (
    company_key_person_risk,
    project_key_person_risk,
    team_builder,
)
from geflecht.projects.management.commands._common import get_project


class Command(BaseCommand):
    help = (
        "Projects: list (default), show PROJECT (teams, documents, flow), team PROJECT "
        "(who should join), risk [PROJECT] (key-person risk, company-wide without PROJECT)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "view", nargs="?", default="list", choices=["list", "show", "team", "risk"]
        )
        parser.add_argument("project", nargs="?", help="project id or name")
        parser.add_argument("--user")
        parser.add_argument("-k", type=int, default=10)

    def handle(self, *args, view, project, user, k, **options):
        account = get_user(user)
        out = self.stdout.write
        if view == "list":
            for p in queries.visible_projects(account).select_related("organization")[:500]:
                value = f", {p.value:,.0f} EUR" if p.value is not None else ""
                out(f"{p.pk:>6}  {p.name} @ {p.organization.name} [{p.get_stage_display()}{value}]")
            return
        if view == "risk" and not project:
            for r in company_key_person_risk(account, limit=k):
                out(f"If {r.colleague.full_name} left, we would lose access to {r.lost}:")
                for org, lost in r.accounts:
                    out(f"  {org.name}: " + ", ".join(p.full_name for p in lost))
            return
        if not project:
            self.stderr.write("Name the project (id or name).")
            return
        pr = get_project(account, project)
        if view == "show":
            out(f"{pr.name} @ {pr.organization.name}" + (f", {pr.site.name}" if pr.site else ""))
            out(
                f"stage {pr.get_stage_display()}, value {pr.value or '-'}, "
                f"close {pr.close_date or '-'}"
            )
            needed = ", ".join(s.name_de for s in pr.skills_needed.order_by("name_de"))
            out(f"skills needed: {needed or '-'}")
            for m in queries.members(account, pr):
                out(f"  [{m.get_side_display()}] {m.person.full_name}: {m.get_role_display()}")
            for d in queries.documents(pr):
                versions = ", ".join(
                    f"v{v.number} {v.filename} ({v.size} B)" for v in d.versions.all()
                )
                out(f"  document {d.title}: {versions}")
            for dl in queries.document_flow(account, pr).deliveries:
                to = ", ".join(p.full_name for p in dl.recipients)
                who = dl.sender.full_name if dl.sender else "?"
                out(
                    f"  {dl.occurred_at:%Y-%m-%d} {who} sent "
                    f"{dl.document.title} v{dl.version} to {to}"
                )
        elif view == "team":
            for s in team_builder(account, pr, limit=k):
                out(f"{s.person.full_name} ({s.score:.2f}): " + "; ".join(s.reasons))
        else:
            risk = project_key_person_risk(account, pr)
            out(f"We have warm access to {risk.reached} of {risk.people} in the buying centre.")
            for loss in risk.losses:
                names = ", ".join(p.full_name for p in loss.lost)
                out(f"If {loss.colleague.full_name} left, we would lose: {names}")
            if risk.account:
                out(risk.account.text())
