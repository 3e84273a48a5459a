"""The signed-in user's own settings, and the sign-in that links a login to its person.

The settings live under /settings/ with a sub-navigation (partials/settings_nav.html):
"Profile" here; further sections (connected accounts) add their entry there.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from geflecht.accounts.actions import (
    link_on_sign_in,
    link_person,
    suggest_person_for,
    unlink_person,
)
from geflecht.lib.errors import DomainError, classify, message_of
from geflecht.people.queries import linkable_people
from geflecht.web.http import AuthedRequest
from geflecht.web.views import MAX_SEARCH


class SignInView(auth_views.LoginView):
    """Django's login, then the one sign-in step of every door: a login without a person
    is linked to the one person with its e-mail address (accounts.link_on_sign_in), and
    the next page says so."""

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        outcome = link_on_sign_in(form.get_user())
        if outcome.person is not None:
            messages.success(
                self.request,
                _(
                    "Your login is now linked to %(name)s, the person with your e-mail "
                    "address. You can change this in your settings."
                )
                % {"name": outcome.person},
            )
        elif outcome.choices > 1:
            messages.info(
                self.request,
                _(
                    "Several people have your e-mail address; choose which one you are in "
                    "your settings."
                ),
            )
        return response


def _settings_page(request: AuthedRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    person = user.person
    context = {
        "section": "profile",
        "person": person,
        "suggested": None if person is not None else suggest_person_for(user),
        "error": error,
    }
    return render(request, "web/pages/settings.html", context, status=status)


@login_required
@require_GET
def settings_page(request: AuthedRequest) -> HttpResponse:
    """Who the login is, its person, the language, the password."""
    return _settings_page(request)


@login_required
@require_POST
def settings_person(request: AuthedRequest) -> HttpResponse:
    """Link the login to a person (``person``: its id) or, with ``action=unlink``, take
    it off; the action's refusals are shown on the page with their status."""
    user = request.user
    try:
        if request.POST.get("action") == "unlink":
            previous = unlink_person(user, user)
            if previous is not None:
                messages.success(
                    request, _("Your login is no longer linked to %(name)s.") % {"name": previous}
                )
        else:
            raw = request.POST.get("person", "").strip()
            if not raw.isdigit():
                return _settings_page(
                    request, error=_("Choose a person from the list."), status=422
                )
            person = link_person(user, user, int(raw))
            messages.success(request, _("Your login is now linked to %(name)s.") % {"name": person})
    except DomainError as exc:
        kind = classify(exc)
        return _settings_page(request, error=message_of(exc), status=kind.status if kind else 400)
    return redirect("settings")


@login_required
@require_GET
def settings_person_suggest(request: AuthedRequest) -> HttpResponse:
    """The person field's autocomplete: only people the login may be linked to."""
    text = request.GET.get("q", "").strip()[:MAX_SEARCH]
    hits = linkable_people(request.user, text) if len(text) >= 2 else []
    return render(request, "web/partials/suggest.html", {"hits": hits, "q": text, "pick": "target"})
