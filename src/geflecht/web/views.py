"""Web pages. Views stay thin: they call a query and render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from geflecht.people.queries import tenant_overview


@login_required
def home(request: HttpRequest) -> HttpResponse:
    overview = tenant_overview(request.user)
    return render(request, "web/pages/home.html", {"overview": overview})


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
