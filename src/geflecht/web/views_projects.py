"""Web pages of projects: list, project page (teams, coverage, gaps, team builder,
documents and their flow, key-person risk), company key-person risk and the radar.

Views stay thin: they parse a form, call one service of ``geflecht.projects`` and render.
"""

from __future__ import annotations

import contextlib
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from geflecht.lib.errors import Conflict, NotFound
from geflecht.people.models import BuyingRole, Organization, Person, Position, Site
from geflecht.people.queries import visible_organizations, visible_people, visible_sites
from geflecht.projects import actions, coverage, queries, radar
from geflecht.projects.models import OurRole, Project, Stage
from geflecht.skills.queries import tenant_skills
from geflecht.web.http import AuthedRequest

RADAR_SESSION_KEY = "projects_radar_csv"


def _project_or_404(request: AuthedRequest, project_id: int) -> Project:
    try:
        return queries.visible_project(request.user, project_id)
    except NotFound:
        raise Http404 from None


def _changeable_or_403(request: AuthedRequest, project_id: int) -> Project:
    """The project a POST changes: 404 if the user may not see it, 403 (a page that says
    why, see ``handler403``) if they may see but not change it. The page shows them no
    control that would come here; a refusal is a refusal whatever the form holds."""
    project = _project_or_404(request, project_id)
    actions.require_change(request.user, project)
    return project


def _errors(request: AuthedRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))


# --------------------------------------------------------------------------- list
class ProjectForm(forms.Form):
    name = forms.CharField(label=_l("Name"), max_length=200)
    organization = forms.ModelChoiceField(
        label=_l("Customer"), queryset=Organization.objects.none()
    )
    site = forms.ModelChoiceField(label=_l("Site"), queryset=Site.objects.none(), required=False)
    stage = forms.ChoiceField(label=_l("Stage"), choices=Stage.choices, initial=Stage.LEAD)
    value = forms.DecimalField(
        label=_l("Value (EUR)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    start_date = forms.DateField(
        label=_l("Start"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    close_date = forms.DateField(
        label=_l("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(
        label=_l("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = visible_organizations(user).exclude(kind=Organization.Kind.OWN)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = orgs.order_by("name")
        cast(forms.ModelChoiceField, self.fields["site"]).queryset = visible_sites(user)


@login_required
def projects_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ProjectForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        org = data.pop("organization")
        try:
            project = actions.create_project(user, org, name=data.pop("name"), **data)
        except ValidationError as exc:  # a read-only user's PermissionDenied is a 403
            _errors(request, exc)
        else:
            return redirect("project", project_id=project.pk)
    projects = queries.visible_projects(user).select_related("organization", "site")
    stage = request.GET.get("stage", "")
    if stage in Stage.values:
        projects = projects.filter(stage=stage)
    page = Paginator(projects.order_by("-updated_at", "-id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "web/pages/projects_list.html",
        {"page": page, "form": form, "stages": Stage.choices, "stage": stage},
    )


# ------------------------------------------------------------------------ project
class MemberForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_l("Role"), choices=OurRole.choices + BuyingRole.choices)


class EditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    stage = forms.ChoiceField(label=_l("Stage"), choices=Stage.choices)
    value = forms.DecimalField(
        label=_l("Value (EUR)"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    close_date = forms.DateField(
        label=_l("Expected close"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _candidates(user, project: Project) -> tuple[list[Person], list[Position]]:
    """People to offer for the teams: our colleagues, and the customer's current staff."""
    visible = visible_people(user)
    ours = list(
        visible.filter(
            positions__organization__kind=Organization.Kind.OWN, positions__end_date__isnull=True
        )
        .distinct()
        .order_by("last_name", "first_name")[:500]
    )
    theirs = list(
        Position.objects.filter(
            organization=project.organization, end_date__isnull=True, person__in=visible
        )
        .select_related("person", "site")
        .order_by("person__last_name", "person__first_name")[:500]
    )
    return ours, theirs


@login_required
@require_GET
def project_page(request: AuthedRequest, project_id: int) -> HttpResponse:
    user = request.user
    project = _project_or_404(request, project_id)
    lang = get_language()
    threshold = coverage.DEFAULT_THRESHOLD
    with contextlib.suppress(ValueError):
        asked = float(request.GET.get("threshold", threshold))
        if 0 <= asked <= 1:  # also refuses nan
            threshold = asked
    cov = coverage.coverage(user, project, threshold=threshold, lang=lang)
    # Each control is shown only to whom it works for (the rule of the actions); the
    # lists the forms offer are not even read for the others.
    may_change = queries.may_change(user, project)
    ours, theirs = _candidates(user, project) if may_change else ([], [])
    docs = queries.documents(project)
    context = {
        "project": project,
        "cov": cov,
        "matrix": [(row.member, list(zip(cov.theirs, row.cells, strict=True))) for row in cov.rows],
        "suggestions": coverage.team_builder(user, project),
        "skills_needed": list(project.skills_needed.order_by("name_de")),
        "all_skills": list(tenant_skills(user).order_by("name_de")),
        "risk": coverage.project_key_person_risk(user, project),
        "documents": docs,
        "flow": queries.document_flow(user, project),
        "our_candidates": ours,
        "their_candidates": theirs,
        "our_roles": OurRole.choices,
        "buying_roles": BuyingRole.choices,
        "recipients": [m for m in cov.ours + cov.theirs if m.person_id != user.person_id]
        if may_change
        else [],
        "may_change": may_change,
        "edit": EditForm(
            initial={
                "version": project.version,
                "stage": project.stage,
                "value": project.value,
                "close_date": project.close_date,
            }
        ),
        "allowed_types": ", ".join(actions.allowed_types()),
        "subprojects": list(queries.visible_projects(user).filter(parent=project)),
    }
    return render(request, "web/pages/projects_project.html", context)


@login_required
@require_POST
def project_edit(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = _changeable_or_403(request, project_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please check the stage, value and date."))
        return redirect("project", project_id=project.pk)
    data = dict(form.cleaned_data)
    version = data.pop("version")
    try:
        actions.update_project(request.user, project, expected_version=version, **data)
    except Conflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("project", project_id=project.pk)


@login_required
@require_POST
def project_skills(request: AuthedRequest, project_id: int) -> HttpResponse:
    """Set the skills the project needs (a multi-select of the taxonomy)."""
    project = _changeable_or_403(request, project_id)
    try:
        ids = [int(v) for v in request.POST.getlist("skills")]
        actions.set_skills_needed(request.user, project, ids)
    except ValueError:
        messages.error(request, _("Choose skills from the list."))
    except (ValidationError, Conflict) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect(f"/projects/{project.pk}/#builder")


@login_required
@require_POST
def project_member_add(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = _changeable_or_403(request, project_id)
    form = MemberForm(request.POST)
    if form.is_valid():
        person = visible_people(request.user).filter(pk=form.cleaned_data["person"]).first()
        if person is None:
            messages.error(request, _("Choose a person."))
        else:
            try:
                actions.add_member(request.user, project, person, form.cleaned_data["role"])
            except (ValidationError, Conflict) as exc:
                _errors(request, exc)
    else:
        messages.error(request, _("Choose a person and a role."))
    return redirect(f"/projects/{project.pk}/#teams")


@login_required
@require_POST
def project_member_remove(request: AuthedRequest, project_id: int, member_id: int) -> HttpResponse:
    project = _changeable_or_403(request, project_id)
    try:
        member = queries.visible_member(request.user, project, member_id)
        actions.remove_member(request.user, member)
    except NotFound:
        raise Http404 from None
    except (ValidationError, Conflict) as exc:
        _errors(request, exc)
    return redirect(f"/projects/{project.pk}/#teams")


# ----------------------------------------------------------------------- documents
@login_required
@require_POST
def document_upload(request: AuthedRequest, project_id: int) -> HttpResponse:
    project = _changeable_or_403(request, project_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect(f"/projects/{project.pk}/#documents")
    document = None
    if request.POST.get("document", "").isdigit():
        try:
            document = queries.visible_document(request.user, int(request.POST["document"]))
        except NotFound:
            raise Http404 from None
    try:
        version = actions.upload_document(
            request.user,
            project,
            upload,
            title=request.POST.get("title", "")[:200],
            document=document,
            note=request.POST.get("note", "")[:300],
        )
    except (ValidationError, Conflict) as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("Stored %(title)s, version %(n)s.")
            % {"title": version.document.title, "n": version.number},
        )
    return redirect(f"/projects/{project.pk}/#documents")


@login_required
@require_POST
def document_send(request: AuthedRequest, document_id: int) -> HttpResponse:
    try:
        doc = queries.visible_document(request.user, document_id)
        number = int(request.POST.get("version", "0"))
        version = queries.visible_version(request.user, doc.pk, number)
    except (NotFound, ValueError):
        raise Http404 from None
    actions.require_change(request.user, doc.project)
    ids = [int(x) for x in request.POST.getlist("recipients") if x.isdigit()][:200]
    recipients = list(visible_people(request.user).filter(pk__in=ids))
    try:
        actions.send_document(request.user, version, recipients)
    except (ValidationError, Conflict) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Recorded as sent."))
    return redirect(f"/projects/{doc.project_id}/#flow")


@login_required
@require_GET
def document_download(request: AuthedRequest, document_id: int, number: int) -> FileResponse:
    """The file of one version, only for users who may see the project (else 404)."""
    try:
        version = queries.visible_version(request.user, document_id, number)
        handle = version.file.open("rb")
    except (NotFound, FileNotFoundError):
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=version.filename,
        content_type="application/octet-stream",
    )


# ------------------------------------------------------------------ key-person risk
@login_required
@require_GET
def key_person_risk(request: AuthedRequest) -> HttpResponse:
    risks = coverage.company_key_person_risk(request.user)
    return render(request, "web/pages/projects_risk.html", {"risks": risks})


# --------------------------------------------------------------------------- radar
@login_required
def radar_page(request: AuthedRequest) -> HttpResponse:
    result, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file.")
        elif (upload.size or 0) > radar.MAX_BYTES:
            error = _("The file is larger than 2 MB.")
        else:
            data = upload.read()
            try:
                result = radar.radar_file(request.user, data, lang=get_language())
            except radar.RadarError as exc:
                error = str(exc)
            else:
                request.session[RADAR_SESSION_KEY] = data.decode("utf-8", "replace")
    return render(request, "web/pages/projects_radar.html", {"result": result, "error": error})


@login_required
@require_GET
def radar_export(request: AuthedRequest) -> HttpResponse:
    """The ranking of the list uploaded last, as CSV (computed again for this user)."""
    data = request.session.get(RADAR_SESSION_KEY)
    if not data:
        return redirect("radar")
    try:
        result = radar.radar_file(request.user, data)
    except radar.RadarError:
        return redirect("radar")
    response = HttpResponse(radar.export_csv(result.rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="radar.csv"'
    return response


@login_required
@require_GET
def radar_sample(request: AuthedRequest) -> HttpResponse:
    """A sample target list built from this tenant's organisations (to try the radar)."""
    from geflecht.demo.projects import sample_targets

    response = HttpResponse(sample_targets(request.user), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="targets-sample.csv"'
    return response
