from django.contrib import admin

from geflecht.lib.admin import TenantAdmin
from geflecht.partners.models import JointProject, Rating


@admin.register(JointProject)
class JointProjectAdmin(TenantAdmin):
    list_display = ["title", "partner", "status", "start_date", "end_date"]
    list_filter = ["status"]
    list_select_related = ["partner"]
    search_fields = ["title", "partner__name"]
    autocomplete_fields = ["partner"]
    raw_id_fields = ["our_people", "their_people"]


@admin.register(Rating)
class RatingAdmin(TenantAdmin):
    list_display = ["project", "by", "quality", "on_time", "communication"]
    list_select_related = ["project", "by"]
    raw_id_fields = ["project"]
