from django.contrib import admin

from geflecht.lib.admin import TenantAdmin, TenantInline
from geflecht.network.models import GraphState, Interaction, InteractionParticipant, Relationship


@admin.register(Relationship)
class RelationshipAdmin(TenantAdmin):
    list_display = ["person_a", "person_b", "kind", "rating", "strength", "visibility"]
    list_filter = ["kind", "visibility", "rating", "tenant"]
    search_fields = ["person_a__last_name", "person_b__last_name"]
    list_select_related = ["person_a", "person_b"]
    autocomplete_fields = ["person_a", "person_b", "owner"]
    readonly_fields = ["strength", "evidence", "last_interaction_at"]


class ParticipantInline(TenantInline):
    model = InteractionParticipant
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Interaction)
class InteractionAdmin(TenantAdmin):
    list_display = ["occurred_at", "kind", "subject", "location", "source", "visibility"]
    list_filter = ["kind", "source", "visibility", "tenant"]
    search_fields = ["subject", "location", "external_id"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["site", "owner"]
    inlines = [ParticipantInline]


@admin.register(GraphState)
class GraphStateAdmin(TenantAdmin):
    list_display = ["tenant", "version", "changed_at"]
    readonly_fields = ["tenant", "version", "changed_at"]

    # The version is raised by the actions that change the network, never by hand.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
