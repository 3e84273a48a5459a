"""Web pages for skills and partners: expert search, taxonomy, skill matrix, a person's
skills (with endorse), partner search and partner pages (with ratings).

Thin views: parse, call the same services the API and the CLI call, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from geflecht.lib.errors import NotFound
from geflecht.partners import actions as partner_actions
from geflecht.partners import queries as partner_queries
from geflecht.partners.models import JointProject
from geflecht.people.queries import visible_person
from geflecht.projects.queries import project_skill_gaps
from geflecht.skills import actions, queries
from geflecht.web.http import AuthedRequest

PAGE = 20


def _page(request: AuthedRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", 1)), 50))
    except ValueError:
        return 1


def _radius(request: AuthedRequest) -> float | None:
    try:
        value = float(request.GET.get("radius", "") or 0)
    except ValueError:
        return None
    return min(value, 5000.0) if value > 0 else None


def _search_input(request: AuthedRequest) -> tuple[str, str, float | None]:
    q = request.GET.get("q", "").strip()[:200]
    near = request.GET.get("near", "").strip()[:100]
    return q, near, _radius(request)


# ------------------------------------------------------------------------ experts
@login_required
@require_GET
def experts_page(request: AuthedRequest) -> HttpResponse:
    q, near, radius = _search_input(request)
    page = _page(request)
    result, error = None, None
    if q:
        try:
            result = queries.find_experts(
                request.user, q, near=near or None, radius_km=radius, limit=PAGE,
                offset=(page - 1) * PAGE, lang=get_language() or "en",
            )  # fmt: skip
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return render(
        request,
        "web/pages/skills_experts.html",
        {
            "q": q, "near": near, "radius": radius or "", "result": result, "error": error,
            "page": page, "has_next": bool(result and result.total > page * PAGE),
        },
    )  # fmt: skip


@login_required
@require_GET
def taxonomy_page(request: AuthedRequest) -> HttpResponse:
    tree = queries.taxonomy_tree(request.user)
    return render(request, "web/pages/skills_taxonomy.html", {"tree": tree})


@login_required
@require_POST
def taxonomy_load(request: AuthedRequest) -> HttpResponse:
    if not request.user.is_tenant_admin:
        raise PermissionDenied(_("Only an admin of your company may change the taxonomy."))
    done = actions.load_starter_taxonomy(request.user.company)
    messages.success(request, _("%(n)s skills added.") % {"n": done.created})
    return redirect("skills_taxonomy")


@login_required
@require_GET
def matrix_page(request: AuthedRequest) -> HttpResponse:
    page = _page(request)
    matrix = queries.skill_matrix(request.user, limit=PAGE * 2, offset=(page - 1) * PAGE * 2)
    return render(
        request,
        "web/pages/skills_matrix.html",
        {
            "matrix": matrix,
            "project_gaps": project_skill_gaps(request.user),
            "page": page,
            "has_next": matrix.people_total > page * PAGE * 2,
        },
    )


# -------------------------------------------------------------- a person's skills
def person_skills_context(user, person, *, error: str = "") -> dict:
    """What the skills section of a person's page shows (inline on the page, and as the
    partial that answers its forms)."""
    may_declare = person.pk == user.person_id or user.is_tenant_admin or person.owner_id == user.pk
    return {
        "person": person,
        "skills": queries.person_skills(user, person),
        "may_declare": may_declare and user.can_write,
        "may_endorse": person.pk != user.person_id and user.can_write,
        "all_skills": queries.tenant_skills(user).order_by("name_de") if may_declare else [],
        "error": error,
    }


def _person_skills(request: AuthedRequest, person_id: int, *, error: str = "") -> HttpResponse:
    try:
        person = visible_person(request.user, person_id)
    except NotFound:
        raise Http404 from None
    return render(
        request,
        "web/partials/skills_person.html",
        person_skills_context(request.user, person, error=error),
    )


@login_required
@require_GET
def person_skills(request: AuthedRequest, person_id: int) -> HttpResponse:
    return _person_skills(request, person_id)


@login_required
@require_POST
def person_skill_change(request: AuthedRequest, person_id: int) -> HttpResponse:
    """Endorse, withdraw an endorsement, or declare a skill; answer with the section."""
    error = ""
    try:
        skill_id = int(request.POST.get("skill", ""))
        what = request.POST.get("do", "")
        if what == "endorse":
            actions.endorse(request.user, person_id, skill_id)
        elif what == "withdraw":
            actions.withdraw_endorsement(request.user, person_id, skill_id)
        elif what == "declare":
            level = int(request.POST.get("level", "3"))
            note = request.POST.get("note", "")
            actions.declare_skill(request.user, person_id, skill_id, level=level, note=note)
        else:
            error = _("Unknown action.")
    except NotFound:
        raise Http404 from None
    except (ValueError, TypeError):
        error = _("Choose a skill and a level from 1 to 5.")
    except (ValidationError, PermissionDenied) as exc:
        error = " ".join(getattr(exc, "messages", [str(exc)]))
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("person", person_id=person_id)
    return _person_skills(request, person_id, error=error)


# ------------------------------------------------------------------------ partners
@login_required
@require_GET
def partners_page(request: AuthedRequest) -> HttpResponse:
    q, near, radius = _search_input(request)
    page = _page(request)
    result, error, total = None, None, 0
    rows: list = []
    if q:
        try:
            result = partner_queries.find_partners(
                request.user, q, near=near or None, radius_km=radius, limit=PAGE,
                offset=(page - 1) * PAGE, lang=get_language() or "en",
            )  # fmt: skip
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        total, rows = partner_queries.partner_list(
            request.user, limit=PAGE, offset=(page - 1) * PAGE
        )
    count = result.total if result else total
    return render(
        request,
        "web/pages/partners.html",
        {
            "q": q, "near": near, "radius": radius or "", "result": result, "error": error,
            "rows": rows, "page": page, "has_next": count > page * PAGE,
        },
    )  # fmt: skip


@login_required
@require_GET
def partner_page(request: AuthedRequest, org_id: int) -> HttpResponse:
    user = request.user
    try:
        org = partner_queries.partner(user, org_id)
    except NotFound:
        raise Http404 from None
    projects = [
        (p, *partner_queries.project_people(user, p), partner_queries.project_ratings(user, p))
        for p in partner_queries.joint_projects(user, org)[:50]
    ]
    return render(
        request,
        "web/pages/partner.html",
        {
            "org": org,
            "capabilities": queries.organization_capabilities(user, org),
            "trust": partner_queries.trust_score(user, org),
            "projects": projects,
            "finished": JointProject.Status.FINISHED,
            "stars": range(1, 6),
        },
    )


@login_required
@require_POST
def rate_project(request: AuthedRequest, project_id: int) -> HttpResponse:
    try:
        project = partner_queries.joint_project(request.user, project_id)
        stars = {k: int(request.POST.get(k, "")) for k in ("quality", "on_time", "communication")}
        partner_actions.rate_joint_project(
            request.user, project.pk, comment=request.POST.get("comment", "")[:5000], **stars
        )
        messages.success(request, _("Thank you, your rating is saved."))
    except NotFound:
        raise Http404 from None
    except ValueError:
        messages.error(request, _("Give 1 to 5 stars for each."))
        return redirect("partner", org_id=project.partner_id)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("partner", org_id=project.partner_id)
