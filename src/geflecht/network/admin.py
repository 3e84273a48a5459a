from django.contrib import admin

from geflecht.lib.admin import PrivacyAdmin
from geflecht.network.models import GraphState, Interaction, InteractionParticipant, Relationship


@admin.register(Relationship)
class RelationshipAdmin(PrivacyAdmin):
    people_fields = ("person_a", "person_b")
    list_display = ["person_a", "person_b", "kind", "rating", "strength", "visibility"]
    list_filter = ["kind", "visibility", "rating", "tenant"]
    search_fields = ["person_a__last_name", "person_b__last_name"]
    list_select_related = ["person_a", "person_b"]
    autocomplete_fields = ["person_a", "person_b", "owner"]
    readonly_fields = ["strength", "evidence", "last_interaction_at"]


class ParticipantInline(admin.TabularInline):
    model = InteractionParticipant
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Interaction)
class InteractionAdmin(PrivacyAdmin):
    list_display = ["occurred_at", "kind", "subject", "location", "source", "visibility"]
    list_filter = ["kind", "source", "visibility", "tenant"]
    search_fields = ["subject", "location", "external_id"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["site", "owner"]
    inlines = [ParticipantInline]


@admin.register(GraphState)
class GraphStateAdmin(admin.ModelAdmin):
    list_display = ["tenant", "version", "changed_at"]
    readonly_fields = ["tenant", "version", "changed_at"]
