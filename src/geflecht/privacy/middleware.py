"""Every request's read-audit entries are written together when it ends."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from geflecht.privacy.actions import collect_audit_reads


class AuditReadsMiddleware:
    """Runs the request inside :func:`~geflecht.privacy.actions.collect_audit_reads`:
    one INSERT per request that read someone, written before the response is sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with collect_audit_reads():
            return self.get_response(request)
