"""Relationships and interactions in the admin, written through network.actions: every
change recomputes the strengths it touches and tells the graph, as the other doors do."""

from django.contrib import admin

from geflecht.lib.admin import ActionAdmin, ReadOnlyAdmin, TenantInline, changes, values
from geflecht.network import actions
from geflecht.network.models import GraphState, Interaction, InteractionParticipant, Relationship


@admin.register(Relationship)
class RelationshipAdmin(ActionAdmin):
    list_display = ["person_a", "person_b", "kind", "rating", "strength", "visibility"]
    list_filter = ["kind", "visibility", "rating", "tenant"]
    search_fields = ["person_a__last_name", "person_b__last_name"]
    list_select_related = ["person_a", "person_b"]
    autocomplete_fields = ["person_a", "person_b"]

    def get_readonly_fields(self, request, obj=None):
        # The owner is who records it; a tie between two others is a new relationship.
        fixed = ["owner", "strength", "evidence", "last_interaction_at"]
        return ["person_a", "person_b", *fixed] if obj is not None else fixed

    def create(self, request, obj, form):
        fields = values(form)
        a, b = fields.pop("person_a"), fields.pop("person_b")
        return actions.create_relationship(request.user, a, b, **fields)

    def update(self, request, obj, form):
        return actions.update_relationship(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.delete_relationship(request.user, obj)


class ParticipantInline(TenantInline):
    """Who took part: written with the interaction, in one action call (see below)."""

    model = InteractionParticipant
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Interaction)
class InteractionAdmin(ActionAdmin):
    list_display = ["occurred_at", "kind", "subject", "location", "source", "visibility"]
    list_filter = ["kind", "source", "visibility", "tenant"]
    search_fields = ["subject", "location", "external_id"]
    date_hierarchy = "occurred_at"
    autocomplete_fields = ["site"]
    inlines = [ParticipantInline]

    def get_readonly_fields(self, request, obj=None):
        # The recorder owns it; the count follows the participants; where it came from
        # is what a re-import recognises it by.
        fixed = ["owner", "participant_count"]
        return [*fixed, "source", "external_id"] if obj is not None else fixed

    def save_model(self, request, obj, form, change):
        pass  # recorded (or corrected) with its participants, in save_related

    def save_related(self, request, form, formsets, change):
        (people,) = [f for f in formsets if f.model is InteractionParticipant]
        people.save(commit=False)  # writes nothing; lists the rows for the history
        add, remove = [], [row.person_id for row in people.deleted_objects]
        stored = dict(
            InteractionParticipant.objects.filter(
                pk__in=[f.instance.pk for f in people.initial_forms if f.instance.pk]
            ).values_list("pk", "person_id")
        )
        for row_form in people.forms:
            if row_form in people.deleted_forms or not row_form.has_changed():
                continue
            person = row_form.cleaned_data["person"]
            was = stored.get(row_form.instance.pk)
            if was is not None and was != person.pk:
                remove.append(was)
            add.append((person.pk, row_form.cleaned_data["role"]))
        form.participants = add, remove
        super().save_model(request, form.instance, form, change)
        for row in people.new_objects:
            row.interaction_id = form.instance.pk

    def create(self, request, obj, form):
        user, (add, _remove) = request.user, form.participants
        fields = values(form)
        fields["site_id"] = getattr(fields.pop("site", None), "pk", None)
        return actions.record_interaction(
            tenant=user.tenant, recorded_by=user, participants=add, **fields
        )

    def update(self, request, obj, form):
        add, remove = form.participants
        return actions.update_interaction(
            request.user, obj, add=add, remove=remove, **changes(form)
        )

    def delete(self, request, obj):
        actions.delete_interaction(request.user, obj)


@admin.register(GraphState)
class GraphStateAdmin(ReadOnlyAdmin):
    """The version is raised by the actions that change the network, never by hand."""

    list_display = ["tenant", "version", "changed_at"]
    readonly_fields = ["tenant", "version", "changed_at"]
