"""geflecht skills load|tree|matrix|derive|person NAME: the taxonomy and who has what."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from geflecht.accounts.models import Tenant
from geflecht.people.cli import get_person, get_user
from geflecht.skills import actions, queries


class Command(BaseCommand):
    help = "Skills: load the starter taxonomy, show it, the skill matrix, derive evidence."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["load", "tree", "matrix", "derive", "person"])
        parser.add_argument("name", nargs="?", help="the person (for 'person')")
        parser.add_argument("--tenant", help="tenant slug (for 'load' and 'derive')")
        parser.add_argument("--user")

    def _tenant(self, slug):
        if slug:
            tenant = Tenant.objects.filter(slug=slug).first()
            if tenant is None:
                raise CommandError(f"No tenant {slug!r}.")
            return tenant
        return get_user(None).tenant

    def handle(self, *args, action, name, tenant, user, **options):
        out = self.stdout.write
        if action == "load":
            done = actions.load_starter_taxonomy(self._tenant(tenant))
            out(
                f"{done.created} skills created, {done.updated} updated, "
                f"{done.unchanged} as they were."
            )
            return
        if action == "derive":
            from geflecht.projects.evidence import derive_from_projects

            tenant_id = self._tenant(tenant).pk
            report = actions.derive_from_interactions(tenant_id)
            out(
                f"{report.interactions} interactions name a skill; {report.person_skills} "
                f"person skills of {report.people} people carry interaction evidence."
            )
            projects = derive_from_projects(tenant_id)
            out(
                f"{projects.projects} projects and {projects.documents} documents give "
                f"{projects.person_skills} person skills project or document evidence."
            )
            return
        account = get_user(user)
        if action == "tree":
            for node in queries.taxonomy_tree(account):
                skill = node.skill
                out(f"{'  ' * node.depth}{skill.name_de} / {skill.name_en} ({node.holders})")
        elif action == "matrix":
            matrix = queries.skill_matrix(account, limit=200)
            out("person; " + "; ".join(g.name_de for g in matrix.groups))
            for person, cells in matrix.rows:
                out(f"{person.full_name}; " + "; ".join(str(c or "") for c in cells))
            for skill, person in matrix.single_holders:
                out(f"only {person.full_name} has {skill.name_de}")
        else:
            if not name:
                raise CommandError("Say whose skills: geflecht skills person 'Anna Schmidt'.")
            for view in queries.person_skills(account, get_person(account, name)):
                out(f"{view.skill.name_de} (level {view.row.level}): " + "; ".join(view.evidence))
