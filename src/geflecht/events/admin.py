"""Admin for events: tenant-scoped, and attendees hidden when their person is."""

from django.contrib import admin
from django.db.models import Q

from geflecht.events.models import Attendance, Event, EventTarget
from geflecht.lib.admin import TenantAdmin
from geflecht.lib.visibility import visible_q


class _PersonOptional(TenantAdmin):
    """Rows about a person the user may not see are left out; rows without one stay."""

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows.filter(Q(person__isnull=True) | visible_q(request.user, "person"))


@admin.register(Event)
class EventAdmin(TenantAdmin):
    list_display = ("name", "kind", "start_date", "end_date", "city")
    list_filter = ("kind",)
    search_fields = ("name", "city", "venue")
    date_hierarchy = "start_date"
    raw_id_fields = ("site", "created_by")


@admin.register(Attendance)
class AttendanceAdmin(_PersonOptional):
    list_display = ("event", "person", "organization", "role", "booth", "status")
    list_filter = ("role", "status")
    raw_id_fields = ("event", "person", "organization")


@admin.register(EventTarget)
class EventTargetAdmin(_PersonOptional):
    list_display = ("event", "person", "organization", "chosen_by", "note")
    raw_id_fields = ("event", "person", "organization", "chosen_by")
