"""API errors: JSON with a stable ``code``, a human ``message`` and, for bad input, the fields.

Every error the API returns has this shape, whatever raised it:

    {"code": "validation_error", "message": "…", "errors": [{"field": "last_name", "message": "…"}]}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from geflecht.lib.errors import Conflict, NotFound


class ApiError(Exception):
    """An error with a status, a stable code and a message; raised by endpoints."""

    def __init__(self, status: int, code: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def _field_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": "" if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": message} for message in exc.messages]


def _loc_to_field(loc) -> str:
    # ninja reports ("body", "payload", "last_name") or ("query", "limit"): keep the field path.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""

    def reply(request, status, code, message, **extra):
        return api.create_response(
            request, {"code": code, "message": message, **extra}, status=status
        )

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return reply(request, exc.status, exc.code, exc.message, **exc.extra)

    @api.exception_handler(NinjaValidationError)
    def bad_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {"field": _loc_to_field(e.get("loc", ())), "message": e.get("msg", "invalid")}
            for e in exc.errors
        ]
        named = ", ".join(sorted({e["field"] for e in errors if e["field"]})) or "the request"
        return reply(request, 422, "validation_error", f"Invalid input: {named}.", errors=errors)

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = _field_errors(exc)
        return reply(request, 422, "validation_error", " ".join(exc.messages), errors=errors)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return reply(request, 409, "conflict", str(exc), current_version=exc.current_version)

    @api.exception_handler(NotFound)
    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # One message for "missing" and "not yours": existence must not leak.
        return reply(request, 404, "not_found", str(exc) or "Not found.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return reply(request, 403, "forbidden", str(exc) or "You may not do this.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return reply(
            request,
            401,
            "not_authenticated",
            "Log in, or send a personal API token as 'Authorization: Bearer <token>'.",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad_request", 405: "method_not_allowed", 429: "throttled"}
        return reply(request, exc.status_code, code.get(exc.status_code, "error"), exc.message)
