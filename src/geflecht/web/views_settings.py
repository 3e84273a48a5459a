"""The signed-in user's own settings, and the sign-in that links a login to its person."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.translation import gettext as _

from geflecht.accounts.actions import link_on_sign_in


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
