"""The web door's half of the one error mapping (lib.errors.classify): a service's
NotFound, NotAllowed, Conflict, Invalid or Unavailable becomes a page in the app's layout with the
status the API would answer, never a traceback."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from geflecht.lib.errors import (
    CONFLICT,
    FORBIDDEN,
    INVALID,
    NOT_FOUND,
    UNAVAILABLE,
    classify,
    message_of,
)

_TITLES = {
    NOT_FOUND: lambda: _("Not found"),
    FORBIDDEN: lambda: _("Not allowed"),
    CONFLICT: lambda: _("Changed in the meantime"),
    INVALID: lambda: _("Please check your input"),
    UNAVAILABLE: lambda: _("Server not available"),
}


def error_page(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request,
        "web/pages/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


class DomainErrorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        kind = classify(exc)
        if kind is None:
            return None  # a bug: Django's 500 handling (and its log) takes it
        # A hidden record reads exactly like a missing one: one fixed message, whatever
        # the exception said (a model's DoesNotExist names its query).
        message = _("This page does not exist.") if kind is NOT_FOUND else message_of(exc)
        return error_page(request, kind.status, _TITLES[kind](), message)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 404, _("Not found"), _("This page does not exist."))


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    return error_page(request, 403, _("Not allowed"), message_of(exception))


def handler500(request: HttpRequest) -> HttpResponse:
    return error_page(
        request, 500, _("Something went wrong"), _("The error has been logged. Please try again.")
    )
