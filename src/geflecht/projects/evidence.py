"""Skill evidence from projects and documents (Balog et al. 2006, document-centric):
who worked on a project, or wrote a document, about a subject has evidence of it.

Only company-visible projects count: evidence is shown to every user of the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from geflecht.lib.models import Visibility
from geflecht.projects.models import DocumentVersion, Project, ProjectMember, Side
from geflecht.skills.actions import clear_evidence, record_evidence

#: A project's team member worked on its subject for months; a document's author wrote
#: about its title once.
PROJECT_WEIGHT = 1.0
DOCUMENT_WEIGHT = 0.5


@dataclass(frozen=True)
class ProjectEvidence:
    projects: int
    documents: int
    person_skills: int


@transaction.atomic
def derive_from_projects(tenant_id: int) -> ProjectEvidence:
    """Recompute the project and document evidence of the tenant from scratch.

    Our team members of each shared project get ``PROJECT_WEIGHT`` for the skills named
    in its name and description and for the skills it needs; whoever uploaded a version
    of a document gets ``DOCUMENT_WEIGHT`` for the skills named in the document's title.
    """
    clear_evidence(tenant_id, "project")
    clear_evidence(tenant_id, "document")
    shared = Project.objects.filter(tenant_id=tenant_id, visibility=Visibility.COMPANY)
    found: set[tuple[int, int]] = set()
    projects = 0
    for project in shared.prefetch_related("skills_needed"):
        needed = ". ".join(s.name_de for s in project.skills_needed.all())
        text = ". ".join(t for t in (project.name, project.description, needed) if t)
        when = project.start_date or project.created_at
        team = ProjectMember.objects.filter(project=project, side=Side.OURS)
        for pid in team.values_list("person_id", flat=True):
            hits = record_evidence(pid, text, PROJECT_WEIGHT, "project", when=when)
            found |= {(pid, s) for s in hits}
        projects += 1
    documents = 0
    versions = (
        DocumentVersion.objects.filter(
            document__project__in=shared, uploaded_by__person__isnull=False
        )
        .select_related("document", "uploaded_by")
        .order_by("document_id", "number")
    )
    seen: set[tuple[int, int]] = set()
    for v in versions:
        if v.uploaded_by is None or v.uploaded_by.person_id is None:
            continue  # excluded by the query; for the type checker
        pid = v.uploaded_by.person_id
        if (v.document_id, pid) in seen:
            continue  # one piece of evidence per document and author, however many versions
        seen.add((v.document_id, pid))
        hits = record_evidence(
            pid, v.document.title, DOCUMENT_WEIGHT, "document", when=v.created_at
        )
        found |= {(pid, s) for s in hits}
        documents += 1
    return ProjectEvidence(projects, documents, len(found))
