from django.contrib import admin

from geflecht.lib.admin import TenantAdmin
from geflecht.skills.models import Endorsement, OrganizationCapability, PersonSkill, Skill


@admin.register(Skill)
class SkillAdmin(TenantAdmin):
    """Admins extend the taxonomy here: names in both languages, synonyms, a parent."""

    list_display = ["name_de", "name_en", "parent", "key"]
    search_fields = ["name_de", "name_en", "key"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        if not change and obj.tenant_id is None:
            obj.tenant_id = request.user.tenant_id
        super().save_model(request, obj, form, change)


@admin.register(PersonSkill)
class PersonSkillAdmin(TenantAdmin):
    list_display = ["person", "skill", "level", "self_declared", "derived_weight"]
    list_select_related = ["person", "skill"]
    raw_id_fields = ["person"]
    autocomplete_fields = ["skill"]


@admin.register(Endorsement)
class EndorsementAdmin(TenantAdmin):
    list_display = ["person_skill", "by", "created_at"]
    list_select_related = ["person_skill__person", "person_skill__skill", "by"]
    raw_id_fields = ["person_skill"]


@admin.register(OrganizationCapability)
class OrganizationCapabilityAdmin(TenantAdmin):
    list_display = ["organization", "skill", "level"]
    list_select_related = ["organization", "skill"]
    autocomplete_fields = ["organization", "skill"]
