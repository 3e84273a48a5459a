"""Admin for introduction requests: each user sees only their own requests.

The colleague asked answers on the requests page; the admin would show them the
requester's path and target, which may name the requester's private contacts. The admin
only shows them: a request is asked, accepted, declined, withdrawn and marked introduced
by its steps in intros.actions (each checks who may take it), never edited as a row.
"""

from django.contrib import admin

from geflecht.intros.models import IntroRequest
from geflecht.lib.admin import ReadOnlyAdmin


@admin.register(IntroRequest)
class IntroRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "requester", "broker", "broker_user", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("requester", "broker", "broker_user", "target", "event")
    readonly_fields = ("path", "path_strength", "relationship", "interaction")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(requester=request.user)
