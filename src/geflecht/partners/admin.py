"""Joint projects and their ratings in the admin, written through partners.actions (a
rating is given, and changed, by its author)."""

from django.contrib import admin

from geflecht.lib.admin import ActionAdmin, changes
from geflecht.partners import actions
from geflecht.partners.models import JointProject, Rating


def _ids(people) -> list[int]:
    return [person.pk for person in people or ()]


@admin.register(JointProject)
class JointProjectAdmin(ActionAdmin):
    list_display = ["title", "partner", "status", "start_date", "end_date"]
    list_filter = ["status"]
    list_select_related = ["partner"]
    search_fields = ["title", "partner__name"]
    autocomplete_fields = ["partner"]
    raw_id_fields = ["our_people", "their_people"]

    def create(self, request, obj, form):
        data = form.cleaned_data
        return actions.create_joint_project(
            request.user,
            partner_id=data["partner"].pk,
            title=data["title"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            status=data["status"],
            our_people=_ids(data["our_people"]),
            their_people=_ids(data["their_people"]),
            notes=data["notes"],
        )

    def update(self, request, obj, form):
        people = {
            name: _ids(form.cleaned_data[name])
            for name in ("our_people", "their_people")
            if name in form.changed_data
        }
        return actions.update_joint_project(request.user, obj, **people, **changes(form))

    def delete(self, request, obj):
        actions.delete_joint_project(request.user, obj)


@admin.register(Rating)
class RatingAdmin(ActionAdmin):
    list_display = ["project", "by", "quality", "on_time", "communication"]
    list_select_related = ["project", "by"]
    raw_id_fields = ["project"]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "by"] if obj is not None else ["by"]  # by: who saves it

    def create(self, request, obj, form):
        data = form.cleaned_data
        return actions.rate_joint_project(
            request.user,
            data["project"].pk,
            quality=data["quality"],
            on_time=data["on_time"],
            communication=data["communication"],
            comment=data["comment"],
        )

    def update(self, request, obj, form):
        return actions.update_rating(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.delete_rating(request.user, obj)
