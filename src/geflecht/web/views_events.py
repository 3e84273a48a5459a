"""Web pages for trade fairs and introduction requests. Thin: parse, call a service, render."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from geflecht.events import actions as event_actions
from geflecht.events import queries as event_queries
from geflecht.events.models import AttendanceRole, EventKind
from geflecht.intros import actions as intro_actions
from geflecht.intros import queries as intro_queries
from geflecht.lib.errors import Conflict, NotFound
from geflecht.network.reach import PathOptions, introduction_paths, own_company_people
from geflecht.people.models import Organization
from geflecht.people.queries import visible_organizations, visible_people
from geflecht.web.http import AuthedRequest

MAX_LIST_BYTES = 10 * 1024 * 1024
MEETING_ROWS = 8


def _lang() -> str:
    return "de" if (get_language() or "").startswith("de") else "en"


def _event_or_404(request: AuthedRequest, event_id: int):
    try:
        return event_queries.event(request.user, event_id)
    except NotFound:
        raise Http404 from None


def _page_no(request: AuthedRequest, name: str = "page") -> int:
    raw = request.GET.get(name, "1")
    return max(1, int(raw)) if raw.isdigit() else 1


# ---------------------------------------------------------------------------- events
class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    start_date = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")


@login_required
def events_page(request: AuthedRequest) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = event_actions.create_event(request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _("Event created."))
            return redirect("event", event_id=event.pk)
    upcoming = Paginator(event_queries.events(request.user, when="upcoming"), 20).get_page(
        _page_no(request, "up")
    )
    past = Paginator(event_queries.events(request.user, when="past"), 20).get_page(
        _page_no(request, "past")
    )
    return render(
        request, "web/pages/events.html", {"form": form, "upcoming": upcoming, "past": past}
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Attendee or exhibitor list (CSV)"))
    role = forms.ChoiceField(
        label=_("Role for rows without one"),
        choices=[("", _("from the file (default: visitor)")), *AttendanceRole.choices],
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_LIST_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        return upload


class TargetForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), required=False
    )
    target = forms.IntegerField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = (
            visible_organizations(user).exclude(kind=Organization.Kind.OWN).order_by("name")
        )


class MeetingForm(forms.Form):
    colleague = forms.TypedChoiceField(label=_("Who of us"), coerce=int, required=False)
    person = forms.TypedChoiceField(label=_("Met"), coerce=int, required=False)
    day = forms.ChoiceField(label=_("Day"), required=False)
    at = forms.TimeField(
        label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    subject = forms.CharField(label=_("Subject"), max_length=300, required=False)

    def __init__(self, *args, colleagues=(), people=(), days=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["colleague"]).choices = [("", "—"), *colleagues]
        cast(forms.ChoiceField, self.fields["person"]).choices = [("", "—"), *people]
        cast(forms.ChoiceField, self.fields["day"]).choices = days


MeetingFormSet = forms.formset_factory(MeetingForm, extra=MEETING_ROWS, max_num=100)


def _meeting_formset(request, event, data=None):
    user = request.user
    rows = list(event_queries.attendances(user, event).filter(person__isnull=False))
    ours = set(own_company_people(user.tenant_pk))
    colleagues = sorted(
        {(a.person.pk, a.person.full_name) for a in rows if a.person and a.person.pk in ours}
        | ({(user.person_id, user.person.full_name)} if user.person_id in ours else set()),
        key=lambda c: c[1],
    )
    people = sorted(
        ((a.person.pk, a.person.full_name) for a in rows if a.person and a.person.pk not in ours),
        key=lambda c: c[1],
    )
    days = [
        ((event.start_date + timedelta(days=d)).isoformat(), event.start_date + timedelta(days=d))
        for d in range(event.days)
    ]
    kwargs = {"colleagues": colleagues, "people": people, "days": days}
    return MeetingFormSet(data, prefix="m", form_kwargs=kwargs)


def _event_context(request, event, **extra):
    user = request.user
    attendees = Paginator(event_queries.attendances(user, event), 50).get_page(_page_no(request))
    context = {
        "event": event,
        "attendees": attendees,
        "import_form": ImportForm(),
        "target_form": TargetForm(user=user),
        "meetings": _meeting_formset(request, event),
        "is_past": event.start_date <= timezone.localdate(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def event_page(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    return render(request, "web/pages/event.html", _event_context(request, event))


@login_required
@require_GET
def event_known(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    known = event_queries.who_we_know(request.user, event, limit=100)
    return render(request, "web/partials/events_known.html", {"known": known, "event": event})


@login_required
@require_GET
def event_targets(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    rows = event_queries.target_brokers(request.user, event, lang=_lang())
    return render(request, "web/partials/events_targets.html", {"rows": rows, "event": event})


@login_required
@require_GET
def event_plan(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    plan = event_queries.meeting_plan(request.user, event, lang=_lang())
    return render(request, "web/partials/events_plan.html", {"plan": plan, "event": event})


@login_required
@require_POST
def event_import(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        data = io.BytesIO(form.cleaned_data["file"].read())
        try:
            report = event_actions.import_attendees(
                request.user, event, data, default_role=form.cleaned_data["role"]
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
    context = _event_context(request, event, import_form=form, import_report=report)
    return render(request, "web/pages/event.html", context)


@login_required
@require_POST
def event_target_add(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    form = TargetForm(request.POST, user=request.user)
    if form.is_valid():
        org = form.cleaned_data["organization"]
        pid = form.cleaned_data["target"]
        person = visible_people(request.user).filter(pk=pid).first() if pid else None
        try:
            if pid and person is None:
                raise ValidationError(_("This person does not exist."))
            event_actions.add_target(
                request.user,
                event,
                person=person,
                organization=None if person else org,
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Target added."))
    return redirect(f"/events/{event.pk}/#targets-h")


@login_required
@require_POST
def event_meetings(request: AuthedRequest, event_id: int) -> HttpResponse:
    """The bulk log after the fair: every filled row is one in-person meeting."""
    event = _event_or_404(request, event_id)
    formset = _meeting_formset(request, event, request.POST)
    log, problems = None, []
    if formset.is_valid():
        rows, where = [], []
        tz = timezone.get_current_timezone()
        for i, data in enumerate(formset.cleaned_data, start=1):
            if not data or not (data.get("colleague") or data.get("person")):
                continue
            if not data.get("colleague") or not data.get("person"):
                problems.append(event_actions.RowProblem(i, "", str(_("say who of us met whom"))))
                continue
            day = (
                datetime.fromisoformat(data["day"]).date() if data.get("day") else event.start_date
            )
            when = datetime.combine(day, data.get("at") or time(10), tzinfo=tz)
            rows.append(
                event_actions.MeetingRow(
                    data["colleague"], data["person"], when, data.get("subject", "")
                )
            )
            where.append(i)
        try:
            log = event_actions.log_meetings(request.user, event, rows)
        except (ValidationError, PermissionDenied) as exc:
            problems.append(
                event_actions.RowProblem(0, "", " ".join(getattr(exc, "messages", [str(exc)])))
            )
        else:
            problems += [
                event_actions.RowProblem(where[p.row - 1], p.field, p.message) for p in log.problems
            ]
            problems.sort(key=lambda p: p.row)
            if log.logged:
                formset = _meeting_formset(request, event)
    context = _event_context(
        request, event, meetings=formset, meeting_log=log, meeting_problems=problems
    )
    return render(request, "web/pages/event.html", context)


# -------------------------------------------------------------------- introductions
class AskForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    path = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2)
    broker = forms.IntegerField(widget=forms.HiddenInput, required=False)
    event = forms.IntegerField(widget=forms.HiddenInput, required=False)
    message = forms.CharField(
        label=_("Your message to the broker"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AnswerForm(forms.Form):
    note = forms.CharField(
        label=_("Note (shown to the requester)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


@login_required
def intros_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    incoming = Paginator(intro_queries.incoming(user), 20).get_page(_page_no(request, "in"))
    outgoing = Paginator(intro_queries.outgoing(user), 20).get_page(_page_no(request, "out"))
    context = {
        "incoming": incoming,
        "incoming_views": intro_queries.views(user, incoming),
        "outgoing": outgoing,
        "outgoing_views": intro_queries.views(user, outgoing),
        "answer_form": AnswerForm(),
    }
    return render(request, "web/pages/intros.html", context)


@login_required
def intro_new(request: AuthedRequest) -> HttpResponse:
    """Ask for an introduction along one of my paths to a person."""
    user = request.user
    form = AskForm(request.POST or request.GET or None)
    target = None
    raw = (request.POST or request.GET).get("target", "")
    if raw.isdigit():
        target = visible_people(user).filter(pk=int(raw)).first()
    if target is None:
        raise Http404
    paths = introduction_paths(user, target, PathOptions(k=3, lang=_lang()))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        broker = (
            visible_people(user).filter(pk=data["broker"]).first() if data.get("broker") else None
        )
        event = None
        if data.get("event"):
            try:
                event = event_queries.event(user, data["event"])
            except NotFound:
                event = None
        try:
            if data.get("broker") and broker is None:
                raise ValidationError(_("This person does not exist."))
            intro_actions.ask_for_introduction(
                user,
                target,
                message=data["message"],
                broker=broker,
                path_index=data.get("path"),
                event=event,
                lang=_lang(),
            )
        except (ValidationError, Conflict, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Your request was sent."))
            return redirect("intros")
    chosen = None
    if form.is_bound and form.data.get("path", "").isdigit():
        at = int(form.data["path"])
        chosen = paths[at] if at < len(paths) else None
    context = {"form": form, "target": target, "paths": paths, "chosen": chosen}
    return render(request, "web/pages/intro_new.html", context)


_ANSWERS = {
    "accept": intro_actions.accept,
    "decline": intro_actions.decline,
    "introduced": intro_actions.mark_introduced,
}


@login_required
@require_POST
def intro_answer(request: AuthedRequest, request_id: int, action: str) -> HttpResponse:
    user = request.user
    form = AnswerForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "withdraw":
            intro_actions.withdraw(user, request_id)
        elif action in _ANSWERS:
            _ANSWERS[action](user, request_id, note=note)
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except (ValidationError, Conflict, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Saved."))
    return redirect("intros")


@login_required
@require_GET
def dashboard_intros(request: AuthedRequest) -> HttpResponse:
    user = request.user
    incoming = list(intro_queries.incoming(user, active_only=True)[:5])
    outgoing = list(intro_queries.outgoing(user)[:5])
    context = {
        "incoming": intro_queries.views(user, incoming),
        "outgoing": intro_queries.views(user, outgoing),
        "counts": intro_queries.open_counts(user),
    }
    return render(request, "web/partials/intros_dashboard.html", context)
