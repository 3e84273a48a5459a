from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geflecht.lib.admin import TenantAdmin, TenantInline
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    Site,
)


class SiteInline(TenantInline):
    model = Site
    extra = 0
    fields = ["name", "street", "postal_code", "city", "country", "latitude", "longitude"]
    exclude = ["tenant"]


@admin.register(Organization)
class OrganizationAdmin(TenantAdmin):
    list_display = ["name", "kind", "industry", "employees", "visibility", "tenant"]
    list_filter = ["kind", "industry", "tenant"]
    search_fields = ["name"]
    list_select_related = ["tenant"]
    inlines = [SiteInline]

    def save_formset(self, request, form, formset, change):
        # Inline rows inherit the tenant of the organisation they are added to.
        for obj in formset.save(commit=False):
            obj.tenant_id = form.instance.tenant_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Site)
class SiteAdmin(TenantAdmin):
    list_display = ["name", "organization", "city", "country", "latitude", "longitude"]
    list_filter = ["country", "tenant"]
    search_fields = ["name", "city", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]


class EmailInline(TenantInline):
    model = ContactEmail
    extra = 0


class PhoneInline(TenantInline):
    model = ContactPhone
    extra = 0


class PositionInline(TenantInline):
    model = Position
    fk_name = "person"
    extra = 0
    fields = [
        "organization",
        "site",
        "title",
        "department",
        "buying_role",
        "start_date",
        "end_date",
    ]
    autocomplete_fields = ["organization", "site"]


@admin.register(Person)
class PersonAdmin(TenantAdmin):
    list_display = [
        "last_name",
        "first_name",
        "title",
        "importance",
        "classification",
        "visibility",
    ]
    list_filter = ["importance", "classification", "visibility", "tenant"]
    search_fields = ["last_name", "first_name", "emails__email"]
    list_select_related = ["tenant"]
    autocomplete_fields = ["owner"]
    inlines = [EmailInline, PhoneInline, PositionInline]
    readonly_fields = ["version", "created_at", "updated_at"]
    actions = ["erase_selected"]

    def has_delete_permission(self, request, obj=None):
        # A plain delete would skip the audit trail, the interaction clean-up and the
        # graph: people leave only through the GDPR erasure action below.
        return False

    @admin.action(description=_("Erase the selected people (GDPR Art. 17)"))
    def erase_selected(self, request, queryset):
        from geflecht.privacy.actions import erase_person
        from geflecht.privacy.queries import can_erase

        erased = refused = 0
        for person in queryset:
            if can_erase(request.user, person):
                erase_person(request.user, person)
                erased += 1
            else:
                refused += 1
        self.message_user(
            request,
            _("%(n)d erased, %(r)d refused (only admins of the company may erase).")
            % {"n": erased, "r": refused},
        )

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            if hasattr(obj, "tenant_id"):
                obj.tenant_id = form.instance.tenant_id
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(Position)
class PositionAdmin(TenantAdmin):
    list_display = [
        "person",
        "organization",
        "site",
        "title",
        "department",
        "buying_role",
        "end_date",
    ]
    list_filter = ["buying_role", "organization__kind"]
    search_fields = ["person__last_name", "organization__name", "title", "department"]
    list_select_related = ["person", "organization", "site", "site__organization"]
    autocomplete_fields = ["person", "organization", "site"]
