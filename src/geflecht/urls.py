from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from geflecht.api.main import api
from geflecht.web import (
    views,
    views_capture,
    views_events,
    views_jobs,
    views_projects,
    views_settings,
    views_skills,
)

# Styled error pages in the app's layout; the same page a service's error becomes
# (web.middleware.DomainErrorMiddleware).
handler403 = "geflecht.web.middleware.handler403"
handler404 = "geflecht.web.middleware.handler404"
handler500 = "geflecht.web.middleware.handler500"

urlpatterns = [
    path("", views.home, name="home"),
    # The sign-in that also links a login to its person by e-mail (views_settings).
    path("login/", views_settings.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(template_name="web/pages/password_change.html"),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="web/pages/password_done.html"),
        name="password_change_done",
    ),
    path("settings/", views_settings.settings_page, name="settings"),
    path("settings/person/", views_settings.settings_person, name="settings_person"),
    path(
        "settings/person/suggest/",
        views_settings.settings_person_suggest,
        name="settings_person_suggest",
    ),
    path("dashboard/overview/", views.dashboard_overview, name="dashboard_overview"),
    path("dashboard/reconnect/", views.dashboard_reconnect, name="dashboard_reconnect"),
    path("dashboard/new-ties/", views.dashboard_new_ties, name="dashboard_new_ties"),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("people/<int:person_id>/reach/", views.person_reach, name="person_reach"),
    path("people/<int:person_id>/timeline/", views.person_timeline, name="person_timeline"),
    path("people/<int:person_id>/log/", views.person_log, name="person_log"),
    path("people/<int:person_id>/notes/", views.person_notes, name="person_notes"),
    path("organisations/<int:org_id>/", views.organisation_page, name="organisation"),
    path("organisations/<int:org_id>/risk/", views.organisation_risk, name="organisation_risk"),
    path("sites/<int:site_id>/", views.site_page, name="site"),
    path("paths/", views.paths_page, name="paths"),
    path("network/", views.network_page, name="network"),
    path("network/data.json", views.network_data, name="network_data"),
    path("import/", views.import_page, name="import"),
    path("import/jobs/<int:job_id>/", views.import_job, name="import_job"),
    path("jobs/", views_jobs.jobs_page, name="jobs"),
    path("settings/connections/", views_capture.connections_page, name="connections"),
    path(
        "settings/connections/sharing/",
        views_capture.connections_sharing,
        name="connections_sharing",
    ),
    path(
        "settings/connections/<int:account_id>/<str:action>/",
        views_capture.connection_action,
        name="connection_action",
    ),
    path("import/duplicates/", views.duplicates_page, name="duplicates"),
    path("projects/", views_projects.projects_list, name="projects"),
    path("projects/<int:project_id>/", views_projects.project_page, name="project"),
    path("projects/<int:project_id>/edit/", views_projects.project_edit, name="project_edit"),
    path(
        "projects/<int:project_id>/skills/",
        views_projects.project_skills,
        name="project_skills",
    ),
    path(
        "projects/<int:project_id>/members/",
        views_projects.project_member_add,
        name="project_member_add",
    ),
    path(
        "projects/<int:project_id>/members/<int:member_id>/remove/",
        views_projects.project_member_remove,
        name="project_member_remove",
    ),
    path(
        "projects/<int:project_id>/documents/",
        views_projects.document_upload,
        name="document_upload",
    ),
    path("documents/<int:document_id>/send/", views_projects.document_send, name="document_send"),
    path(
        "documents/<int:document_id>/v<int:number>/",
        views_projects.document_download,
        name="document_download",
    ),
    path("key-person-risk/", views_projects.key_person_risk, name="key_person_risk"),
    path("radar/", views_projects.radar_page, name="radar"),
    path("radar/export.csv", views_projects.radar_export, name="radar_export"),
    path("radar/sample.csv", views_projects.radar_sample, name="radar_sample"),
    path("events/", views_events.events_page, name="events"),
    path("events/<int:event_id>/", views_events.event_page, name="event"),
    path("events/<int:event_id>/known/", views_events.event_known, name="event_known"),
    path("events/<int:event_id>/targets/", views_events.event_targets, name="event_targets"),
    path(
        "events/<int:event_id>/targets/add/", views_events.event_target_add, name="event_target_add"
    ),
    path("events/<int:event_id>/plan/", views_events.event_plan, name="event_plan"),
    path("events/<int:event_id>/import/", views_events.event_import, name="event_import"),
    path("events/<int:event_id>/meetings/", views_events.event_meetings, name="event_meetings"),
    path("intros/", views_events.intros_page, name="intros"),
    path("intros/new/", views_events.intro_new, name="intro_new"),
    path("intros/<int:request_id>/<str:action>/", views_events.intro_answer, name="intro_answer"),
    path("dashboard/intros/", views_events.dashboard_intros, name="dashboard_intros"),
    path("experts/", views_skills.experts_page, name="experts"),
    path("skills/", views_skills.taxonomy_page, name="skills_taxonomy"),
    path("skills/load/", views_skills.taxonomy_load, name="skills_taxonomy_load"),
    path("skills/matrix/", views_skills.matrix_page, name="skills_matrix"),
    path("people/<int:person_id>/skills/", views_skills.person_skills, name="person_skills"),
    path(
        "people/<int:person_id>/skills/change/",
        views_skills.person_skill_change,
        name="person_skill_change",
    ),
    path("partners/", views_skills.partners_page, name="partners"),
    path("partners/<int:org_id>/", views_skills.partner_page, name="partner"),
    path("joint-projects/<int:project_id>/rate/", views_skills.rate_project, name="rate_project"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
