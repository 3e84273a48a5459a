"""Web pages. Views stay thin: they parse input, call one service, and render."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from geflecht.importers.duplicates import duplicate_pairs, merge_duplicate
from geflecht.importers.jobs import my_import, start_import
from geflecht.importers.models import ImportJob
from geflecht.lib.errors import NotFound
from geflecht.lib.remember import PENDING
from geflecht.network.communities import community_choices
from geflecht.network.models import InteractionKind
from geflecht.network.person_rows import new_ties, person_relationships, timeline
from geflecht.network.queries import tenant_overview
from geflecht.network.slices import network_graph
from geflecht.people.actions import add_private_note, delete_private_note
from geflecht.people.models import Organization, Person, PrivateNote
from geflecht.people.queries import (
    my_private_notes,
    visible_organizations,
    visible_people,
    visible_sites,
)
from geflecht.privacy.actions import log_access
from geflecht.web import services
from geflecht.web.http import AuthedRequest
from geflecht.web.views_skills import person_skills_context

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _page(request: AuthedRequest, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, 1)))
    except ValueError:
        return 1


def _person_or_404(request: AuthedRequest, person_id: int) -> Person:
    # The same 404 for a missing person and a colleague's private one: nothing leaks.
    return get_object_or_404(visible_people(request.user), pk=person_id)


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    board = services.dashboard(request.user)
    return render(request, "web/pages/home.html", {"board": board})


# The slower dashboard sections arrive as htmx partials after the page is shown.
@login_required
@require_GET
def dashboard_overview(request: AuthedRequest) -> HttpResponse:
    overview = tenant_overview(request.user)
    return render(request, "web/partials/overview.html", {"overview": overview})


@login_required
@require_GET
def dashboard_reconnect(request: AuthedRequest) -> HttpResponse:
    items = services.reconnect(request.user)
    pending = items is PENDING
    return render(
        request,
        "web/partials/reconnect.html",
        {"items": [] if pending else items, "pending": pending},
    )


@login_required
@require_GET
def dashboard_new_ties(request: AuthedRequest) -> HttpResponse:
    rows = new_ties(request.user, lang=get_language())
    return render(request, "web/partials/new_ties.html", {"rows": rows})


# ----------------------------------------------------------------------------- search
#: The longest search the pages take; a longer one is shortened with a message (the
#: server accepts request lines of up to 8,190 bytes, see `geflecht serve`).
MAX_SEARCH = 200


@login_required
@require_GET
def search_page(request: AuthedRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    if len(text) > MAX_SEARCH:
        messages.warning(
            request,
            _("A search takes at most %(n)s characters; yours was shortened to the first %(n)s.")
            % {"n": MAX_SEARCH},
        )
        text = text[:MAX_SEARCH].strip()
    hits = services.global_search(request.user, text, limit=50) if text else []
    return render(request, "web/pages/search.html", {"q": text, "hits": hits})


@login_required
@require_GET
def search_suggest(request: AuthedRequest) -> HttpResponse:
    """Autocomplete: the best few hits as a list (an htmx partial)."""
    text = request.GET.get("q", "").strip()[:MAX_SEARCH]
    kinds = request.GET.get("kinds", "")
    hits = services.global_search(request.user, text, limit=8) if len(text) >= 2 else []
    pick = request.GET.get("pick", "")  # a form field to fill instead of following a link
    if kinds == "person":
        hits = [h for h in hits if h.kind == "person"]
    elif pick:
        hits = [
            h for h in hits if h.kind != "skill"
        ]  # a form field to fill instead of following a link
    return render(request, "web/partials/suggest.html", {"hits": hits, "q": text, "pick": pick})


# ----------------------------------------------------------------------------- person
class LogForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What"),
        choices=[
            (InteractionKind.MEETING, InteractionKind.MEETING.label),
            (InteractionKind.VIDEO, InteractionKind.VIDEO.label),
            (InteractionKind.PHONE, InteractionKind.PHONE.label),
            (InteractionKind.EMAIL, InteractionKind.EMAIL.label),
        ],
    )
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    duration = forms.IntegerField(
        label=_("Minutes"), required=False, min_value=1, max_value=24 * 60
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise ValidationError(_("The date lies in the future."))
        return day


@login_required
def person_page(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    log_access(request.user, "read", [person.pk], f"GET /people/{person.pk}/")
    lang = get_language()
    positions = person.positions.select_related("organization", "site")
    rel_page, rels = person_relationships(
        request.user, person, page=_page(request, "rels"), lang=lang
    )
    tl_page, entries = timeline(request.user, person, page=_page(request))
    is_me = person.pk == request.user.person_id
    form = LogForm(initial={"kind": InteractionKind.MEETING, "day": timezone.localdate()})
    notes = my_private_notes(request.user, person).order_by("-created_at")
    return render(
        request,
        "web/pages/person.html",
        {
            "person": person,
            "positions": positions,
            "rel_page": rel_page,
            "rels": rels,
            "tl_page": tl_page,
            "entries": entries,
            "is_me": is_me,
            "form": form,
            "notes": notes,
            "note_form": NoteForm(),
            "skills_section": person_skills_context(request.user, person),
        },
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only you will ever see this note."),
    )


@login_required
@require_POST
def person_notes(request: AuthedRequest, person_id: int) -> HttpResponse:
    """Add one of my private notes on this person (or, with ``delete``, remove one)."""
    person = _person_or_404(request, person_id)
    form, problem = NoteForm(), None
    if "delete" in request.POST:
        note_id = request.POST["delete"]
        try:
            if not note_id.isdigit():
                raise PrivateNote.DoesNotExist
            delete_private_note(request.user, int(note_id))
        except PrivateNote.DoesNotExist:
            problem = _("That note does not exist (any more).")
    else:
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                add_private_note(request.user, person, form.cleaned_data["text"])
                form = NoteForm()
            except ValidationError as exc:
                form.add_error(None, exc)
    if not request.htmx:
        return redirect(f"/people/{person.pk}/#notes-h")
    notes = my_private_notes(request.user, person).order_by("-created_at")
    return render(
        request,
        "web/partials/notes.html",
        {"person": person, "notes": notes, "note_form": form, "problem": problem},
    )


@login_required
@require_GET
def person_reach(request: AuthedRequest, person_id: int) -> HttpResponse:
    """How do I reach this person: my best paths and my team's (an htmx partial)."""
    person = _person_or_404(request, person_id)
    reach = services.reach_person(request.user, person, lang=get_language())
    return render(request, "web/partials/reach.html", {"person": person, "reach": reach})


@login_required
@require_GET
def person_timeline(request: AuthedRequest, person_id: int) -> HttpResponse:
    person = _person_or_404(request, person_id)
    tl_page, entries = timeline(request.user, person, page=_page(request))
    return render(
        request,
        "web/partials/timeline.html",
        {"person": person, "tl_page": tl_page, "entries": entries},
    )


@login_required
@require_POST
def person_log(request: AuthedRequest, person_id: int) -> HttpResponse:
    """Log a meeting or call with this person; answer with the new strength."""
    person = _person_or_404(request, person_id)
    form = LogForm(request.POST)
    result = None
    if request.user.person_id is None or request.user.person_id == person.pk:
        form.add_error(None, _("You can log interactions only with other people."))
    elif form.is_valid():
        data = form.cleaned_data
        # Noon local time: the day is what the user gave; the hour is not known.
        when = timezone.make_aware(datetime.combine(data["day"], time(12)))
        when = min(when, timezone.now())
        before = services.relationship_between(request.user, request.user.person, person)
        try:
            interaction, rel = services.log_interaction(
                request.user,
                person,
                kind=data["kind"],
                occurred_at=when,
                duration=data["duration"],
                subject=data["subject"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            result = {
                "interaction": interaction,
                "before": before.strength if before else None,
                "after": rel.strength if rel else None,
            }
            form = LogForm(initial={"kind": data["kind"], "day": data["day"]})
    context = {"person": person, "form": form, "result": result}
    if request.htmx:
        return render(request, "web/partials/log_form.html", context)
    if result:
        messages.success(request, _("Logged."))
    return redirect("person", person_id=person.pk)


# ----------------------------------------------------------------------- organisation
@login_required
def organisation_page(request: AuthedRequest, org_id: int) -> HttpResponse:
    page = services.organisation_page(request.user, org_id, lang=get_language())
    return render(request, "web/pages/organisation.html", {"page": page})


@login_required
@require_GET
def organisation_risk(request: AuthedRequest, org_id: int) -> HttpResponse:
    risk = services.organisation_risk(request.user, org_id)
    pending = risk is PENDING
    return render(
        request,
        "web/partials/risk.html",
        {"risk": None if pending else risk, "pending": pending, "org_id": org_id},
    )


@login_required
def site_page(request: AuthedRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(visible_sites(request.user), pk=site_id)
    return redirect(f"/organisations/{site.organization_id}/#site-{site.pk}")


# ------------------------------------------------------------------------ path finder
class PathForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    hops = forms.IntegerField(label=_("Hops at most"), min_value=1, max_value=6, initial=4)
    min_strength = forms.FloatField(
        label=_("Minimum strength per hop"), min_value=0, max_value=1, initial=0.0
    )
    avoid = forms.CharField(required=False, widget=forms.HiddenInput)

    def avoid_ids(self) -> list[int]:
        raw = self.cleaned_data.get("avoid") or ""
        return [int(x) for x in raw.split(",") if x.strip().isdigit()][:20]


@login_required
@require_GET
def paths_page(request: AuthedRequest) -> HttpResponse:
    form = PathForm(request.GET or None, initial={"hops": 4, "min_strength": 0.0})
    target, paths, avoid = None, None, []
    if request.GET and form.is_valid():
        target = _person_or_404(request, form.cleaned_data["target"])
        avoid = list(visible_people(request.user).filter(pk__in=form.avoid_ids()))
        paths = services.find_paths(
            request.user,
            target,
            max_hops=form.cleaned_data["hops"],
            min_strength=form.cleaned_data["min_strength"],
            avoid=[p.pk for p in avoid],
            lang=get_language(),
        )
    elif request.GET.get("target", "").isdigit():
        target = visible_people(request.user).filter(pk=request.GET["target"]).first()
    context = {"form": form, "target": target, "paths": paths, "avoid": avoid}
    if request.htmx and paths is not None:
        return render(request, "web/partials/paths.html", context)
    return render(request, "web/pages/paths.html", context)


# ------------------------------------------------------------------------ network view
@login_required
@require_GET
def network_page(request: AuthedRequest) -> HttpResponse:
    mode = request.GET.get("mode", "ego")
    org = None
    if mode == "organization" and request.GET.get("org", "").isdigit():
        org = get_object_or_404(visible_organizations(request.user), pk=request.GET["org"])
    communities = community_choices(request.user) if mode == "community" else []
    orgs = visible_organizations(request.user).exclude(kind=Organization.Kind.OWN)
    return render(
        request,
        "web/pages/network.html",
        {
            "mode": mode,
            "org": org,
            "orgs": orgs.order_by("name")[:500],
            "communities": communities,
            "community": request.GET.get("community", ""),
            "color_by": request.GET.get("color", "organization"),
            "min_strength": request.GET.get("min", "0"),
        },
    )


@login_required
@require_GET
def network_data(request: AuthedRequest) -> JsonResponse:
    """Graph JSON for the network view: only what the user may see."""
    mode = request.GET.get("mode", "ego")
    if mode not in ("ego", "organization", "community"):
        raise Http404
    try:
        org_id = int(request.GET["org"]) if request.GET.get("org") else None
        community = int(request.GET["community"]) if request.GET.get("community") else None
        min_strength = float(request.GET.get("min", 0) or 0)
    except ValueError:
        return JsonResponse({"error": "org, community and min must be numbers"}, status=400)
    data = network_graph(
        request.user,
        mode=mode,
        org_id=org_id,
        community=community,
        min_strength=min_strength,
        color_by=request.GET.get("color", "organization"),
    )
    return JsonResponse(data.as_dict())


# ----------------------------------------------------------------------------- import
class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"))
    # Opt-in: a personal address book or mailbox stays private unless its user shares it.
    share = forms.BooleanField(label=_("Share with my company"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("The file is larger than 50 MB."))
        return upload


@login_required
def import_page(request: AuthedRequest) -> HttpResponse:
    """Upload a file; it is imported in the background while the page shows how far it
    got, then the report of what was created, merged and skipped."""
    form = ImportForm(request.POST or None, request.FILES or None)
    job = None
    refused = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = start_import(
                request.user, upload.chunks(), upload.name, private=not form.cleaned_data["share"]
            )
        except PermissionDenied as exc:
            refused = str(exc)
            form.add_error(None, refused)
    context = _import_context(request, job)
    context.update(form=form, refused=refused)
    if request.htmx and (job is not None or refused):
        # htmx swaps only 2xx answers, so the refusal comes as 200 into the result box.
        return render(request, "web/partials/import_job.html", context)
    status = 403 if refused else 200
    return render(request, "web/pages/import.html", context, status=status)


@login_required
@require_GET
def import_job(request: AuthedRequest, job_id: int) -> HttpResponse:
    """How far one of my imports got (polled by the import page), then its report."""
    try:
        job = my_import(request.user, job_id)
    except NotFound as exc:
        raise Http404(str(exc)) from None
    return render(request, "web/partials/import_job.html", _import_context(request, job))


def _import_context(request: AuthedRequest, job: ImportJob | None) -> dict:
    from geflecht.importers.load import CONTACT_FORMATS

    done = job if job is not None and job.status == ImportJob.Status.DONE else None
    return {
        "job": job,
        "report": done.report if done else None,
        # The reasons are stored in English and said in the reader's language.
        "left_out": [(_(r), n) for r, n in (done.report or {}).get("ignored", {}).items()]
        if done
        else [],
        "people": services.imported_people(request.user, done.created_at) if done else [],
        "contact_formats": CONTACT_FORMATS,
    }


@login_required
def duplicates_page(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            keep, other = int(request.POST["keep"]), int(request.POST["other"])
        except (KeyError, ValueError):
            return HttpResponse(_("Choose two people to merge."), status=400)
        try:
            merged = merge_duplicate(request.user, keep, other)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("duplicates")
        messages.success(request, _("Merged into %(name)s.") % {"name": merged.full_name})
        return redirect("duplicates")
    pairs = duplicate_pairs(request.user)
    pending = pairs is PENDING
    context = {"pairs": [] if pending else pairs, "pending": pending}
    if request.htmx:
        return render(request, "web/partials/duplicates.html", context)
    return render(request, "web/pages/duplicates.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
