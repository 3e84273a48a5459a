"""Admin for events: tenant-scoped; attendances and targets hidden when the person or
organisation they name is (lib.admin scopes every row by what it points to)."""

from django.contrib import admin

from geflecht.events.models import Attendance, Event, EventTarget
from geflecht.lib.admin import TenantAdmin


@admin.register(Event)
class EventAdmin(TenantAdmin):
    list_display = ("name", "kind", "start_date", "end_date", "city")
    list_filter = ("kind",)
    search_fields = ("name", "city", "venue")
    date_hierarchy = "start_date"
    raw_id_fields = ("site", "created_by")


@admin.register(Attendance)
class AttendanceAdmin(TenantAdmin):
    list_display = ("event", "person", "organization", "role", "booth", "status")
    list_filter = ("role", "status")
    raw_id_fields = ("event", "person", "organization")


@admin.register(EventTarget)
class EventTargetAdmin(TenantAdmin):
    list_display = ("event", "person", "organization", "chosen_by", "note")
    raw_id_fields = ("event", "person", "organization", "chosen_by")
