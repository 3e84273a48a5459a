"""Admin for events, written through events.actions: tenant-scoped; attendances and
targets hidden when the person or organisation they name is (lib.admin scopes every row
by what it points to)."""

from django.contrib import admin

from geflecht.events import actions
from geflecht.events.models import Attendance, Event, EventTarget
from geflecht.lib.admin import ActionAdmin, changes, values


@admin.register(Event)
class EventAdmin(ActionAdmin):
    list_display = ("name", "kind", "start_date", "end_date", "city")
    list_filter = ("kind",)
    search_fields = ("name", "city", "venue")
    date_hierarchy = "start_date"
    raw_id_fields = ("site",)
    readonly_fields = ("created_by",)  # who saves it first

    def create(self, request, obj, form):
        fields = values(form)
        name, start = fields.pop("name"), fields.pop("start_date")
        return actions.create_event(request.user, name=name, start_date=start, **fields)

    def update(self, request, obj, form):
        return actions.update_event(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.delete_event(request.user, obj)


@admin.register(Attendance)
class AttendanceAdmin(ActionAdmin):
    list_display = ("event", "person", "organization", "role", "booth", "status")
    list_filter = ("role", "status")
    raw_id_fields = ("event", "person", "organization")

    def get_readonly_fields(self, request, obj=None):
        # Another event's or another person's visit is another attendance.
        return ("event", "person", "source") if obj is not None else ()

    def create(self, request, obj, form):
        fields = values(form)
        return actions.add_attendance(request.user, fields.pop("event"), **fields)

    def update(self, request, obj, form):
        return actions.update_attendance(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.remove_attendance(request.user, obj)


@admin.register(EventTarget)
class EventTargetAdmin(ActionAdmin):
    list_display = ("event", "person", "organization", "chosen_by", "note")
    raw_id_fields = ("event", "person", "organization")

    def get_readonly_fields(self, request, obj=None):
        # Chosen by who saves it; whom it names stays (another is another target).
        return ("event", "person", "organization", "chosen_by") if obj else ("chosen_by",)

    def create(self, request, obj, form):
        fields = values(form)
        return actions.add_target(request.user, fields.pop("event"), **fields)

    def update(self, request, obj, form):
        return actions.update_target(request.user, obj, note=form.cleaned_data["note"])

    def delete(self, request, obj):
        actions.remove_target(request.user, obj)
