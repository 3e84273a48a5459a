"""The request the web views receive: from a signed-in user (``login_required``), with
django-htmx's details. Only the type checker reads this; Django builds the request."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from geflecht.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User  # narrower than HttpRequest's: signed in
    htmx: HtmxDetails
