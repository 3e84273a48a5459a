"""``{% org_projects org %}``: the projects at an organisation, on its page."""

from django import template

from geflecht.projects.queries import projects_of_organization

register = template.Library()


@register.inclusion_tag("web/partials/projects_of_org.html", takes_context=True)
def org_projects(context, organization):
    user = context["request"].user
    return {
        "organization": organization,
        "projects": projects_of_organization(user, organization.pk),
    }
