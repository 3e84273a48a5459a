"""The skill taxonomy, person skills, endorsements and capabilities in the admin, written
through skills.actions (admins extend the taxonomy; an endorsement is its author's)."""

from django.contrib import admin

from geflecht.lib.admin import ActionAdmin, changes
from geflecht.skills import actions
from geflecht.skills.models import Endorsement, OrganizationCapability, PersonSkill, Skill


@admin.register(Skill)
class SkillAdmin(ActionAdmin):
    """Admins extend the taxonomy here: names in both languages, synonyms, a parent."""

    list_display = ["name_de", "name_en", "parent", "key"]
    search_fields = ["name_de", "name_en", "key"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        return ["key"] if obj is not None else []  # what imports and the starter list match

    def create(self, request, obj, form):
        data = form.cleaned_data
        return actions.create_skill(
            request.user,
            name_de=data["name_de"],
            name_en=data["name_en"],
            synonyms=data["synonyms"],
            parent_id=getattr(data["parent"], "pk", None),
            key=data["key"],
        )

    def update(self, request, obj, form):
        fields = changes(form)
        if "parent" in fields:
            fields["parent_id"] = getattr(fields.pop("parent"), "pk", None)
        return actions.update_skill(request.user, obj, **fields)

    def delete(self, request, obj):
        actions.delete_skill(request.user, obj)


@admin.register(PersonSkill)
class PersonSkillAdmin(ActionAdmin):
    list_display = ["person", "skill", "level", "self_declared", "derived_weight"]
    list_select_related = ["person", "skill"]
    raw_id_fields = ["person"]
    autocomplete_fields = ["skill"]

    def get_readonly_fields(self, request, obj=None):
        # Saving here declares the skill; derived evidence is the derivation's.
        fixed = ["self_declared", "derived", "derived_weight"]
        return ["person", "skill", *fixed] if obj is not None else fixed

    def create(self, request, obj, form):
        data = form.cleaned_data
        return actions.declare_skill(
            request.user,
            data["person"].pk,
            data["skill"].pk,
            level=data["level"],
            note=data["note"],
        )

    def update(self, request, obj, form):
        data = form.cleaned_data
        return actions.declare_skill(
            request.user, obj.person_id, obj.skill_id, level=data["level"], note=data["note"]
        )

    def delete(self, request, obj):
        actions.remove_person_skill(request.user, obj.person_id, obj.skill_id)


@admin.register(Endorsement)
class EndorsementAdmin(ActionAdmin):
    list_display = ["person_skill", "by", "created_at"]
    list_select_related = ["person_skill__person", "person_skill__skill", "by"]
    raw_id_fields = ["person_skill"]

    def get_readonly_fields(self, request, obj=None):
        return ["person_skill", "by"] if obj is not None else ["by"]  # by: who saves it

    def create(self, request, obj, form):
        row, comment = form.cleaned_data["person_skill"], form.cleaned_data["comment"]
        return actions.endorse(request.user, row.person_id, row.skill_id, comment=comment)

    def update(self, request, obj, form):
        return actions.change_endorsement(request.user, obj, comment=form.cleaned_data["comment"])

    def delete(self, request, obj):
        actions.remove_endorsement(request.user, obj)


@admin.register(OrganizationCapability)
class OrganizationCapabilityAdmin(ActionAdmin):
    list_display = ["organization", "skill", "level"]
    list_select_related = ["organization", "skill"]
    autocomplete_fields = ["organization", "skill"]

    def get_readonly_fields(self, request, obj=None):
        return ["organization", "skill"] if obj is not None else []

    def create(self, request, obj, form):
        data = form.cleaned_data
        return actions.add_capability(
            request.user,
            data["organization"].pk,
            data["skill"].pk,
            level=data["level"],
            note=data["note"],
        )

    def update(self, request, obj, form):
        data = form.cleaned_data
        return actions.add_capability(
            request.user, obj.organization_id, obj.skill_id, level=data["level"], note=data["note"]
        )

    def delete(self, request, obj):
        actions.remove_capability(request.user, obj.organization_id, obj.skill_id)
