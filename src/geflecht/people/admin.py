"""People, organisations, sites and jobs in the admin, written through people.actions.

A person's change is audited as the API's PATCH is; e-mail addresses and phone numbers
are plain rows of the person (see lib.admin).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from geflecht.lib.admin import (
    LOADED_VERSION,
    ActionAdmin,
    ActionInline,
    TenantInline,
    changes,
    values,
)
from geflecht.people import actions
from geflecht.people.models import (
    ContactEmail,
    ContactPhone,
    Organization,
    Person,
    Position,
    Site,
)


class SiteInline(ActionInline):
    model = Site
    extra = 0
    fields = ["name", "street", "postal_code", "city", "country", "latitude", "longitude"]
    exclude = ["tenant"]

    def create(self, request, parent, form):
        fields = values(form, skip=["organization"])
        return actions.create_site(request.user, parent, city=fields.pop("city"), **fields)

    def update(self, request, obj, form):
        return actions.update_site(request.user, obj, **changes(form, skip=["organization"]))

    def delete(self, request, obj):
        actions.delete_site(request.user, obj)


@admin.register(Organization)
class OrganizationAdmin(ActionAdmin):
    list_display = ["name", "kind", "industry", "employees", "visibility", "tenant"]
    list_filter = ["kind", "industry", "tenant"]
    search_fields = ["name"]
    list_select_related = ["tenant"]
    readonly_fields = ["owner"]  # the action sets it: who narrows who sees it owns it
    inlines = [SiteInline]

    def version_of(self, obj):
        return actions.organization_etag(obj)

    def create(self, request, obj, form):
        fields = values(form)
        return actions.create_organization(request.user, name=fields.pop("name"), **fields)

    def update(self, request, obj, form):
        expected = str(form.cleaned_data[LOADED_VERSION])
        return actions.update_organization(request.user, obj, expected=expected, **changes(form))

    def delete(self, request, obj):
        actions.delete_organization(request.user, obj)


@admin.register(Site)
class SiteAdmin(ActionAdmin):
    list_display = ["name", "organization", "city", "country", "latitude", "longitude"]
    list_filter = ["country", "tenant"]
    search_fields = ["name", "city", "organization__name"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]

    def get_readonly_fields(self, request, obj=None):
        # A site stays with its organisation; another one's site is a new site.
        return ["organization"] if obj is not None else []

    def create(self, request, obj, form):
        fields = values(form)
        org, city = fields.pop("organization"), fields.pop("city")
        return actions.create_site(request.user, org, city=city, **fields)

    def update(self, request, obj, form):
        return actions.update_site(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.delete_site(request.user, obj)


class EmailInline(TenantInline):
    model = ContactEmail
    extra = 0


class PhoneInline(TenantInline):
    model = ContactPhone
    extra = 0


class PositionInline(ActionInline):
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

    def create(self, request, parent, form):
        fields = values(form, skip=["person"])
        org = fields.pop("organization")
        return actions.add_position(request.user, parent, org, **fields)

    def update(self, request, obj, form):
        return actions.update_position(request.user, obj, **changes(form, skip=["person"]))

    def delete(self, request, obj):
        actions.delete_position(request.user, obj)


@admin.register(Person)
class PersonAdmin(ActionAdmin):
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

    def version_of(self, obj):
        return str(obj.version)

    def create(self, request, obj, form):
        user = request.user
        fields = values(form)
        owner = fields.pop("owner", None) or user
        return actions.create_person(user, owner=owner, **fields)

    def update(self, request, obj, form):
        from geflecht.privacy.actions import log_access

        user = request.user
        person = actions.update_person(
            obj, by=user, expected_version=form.cleaned_data[LOADED_VERSION], **changes(form)
        )
        # The change is audited as the API's PATCH audits it.
        log_access(user, "change", [person.pk], f"admin /admin/people/person/{person.pk}/")
        return person


@admin.register(Position)
class PositionAdmin(ActionAdmin):
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

    def get_readonly_fields(self, request, obj=None):
        # A job stays with its person; someone else's job is a new position.
        return ["person"] if obj is not None else []

    def create(self, request, obj, form):
        fields = values(form)
        person, org = fields.pop("person"), fields.pop("organization")
        return actions.add_position(request.user, person, org, **fields)

    def update(self, request, obj, form):
        return actions.update_position(request.user, obj, **changes(form))

    def delete(self, request, obj):
        actions.delete_position(request.user, obj)
