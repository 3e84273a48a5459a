from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from geflecht.api.main import api
from geflecht.web import views, views_skills

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
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
    path("dashboard/overview/", views.dashboard_overview, name="dashboard_overview"),
    path("dashboard/reconnect/", views.dashboard_reconnect, name="dashboard_reconnect"),
    path("dashboard/new-ties/", views.dashboard_new_ties, name="dashboard_new_ties"),
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggest, name="search_suggest"),
    path("people/<int:person_id>/", views.person_page, name="person"),
    path("people/<int:person_id>/reach/", views.person_reach, name="person_reach"),
    path("people/<int:person_id>/timeline/", views.person_timeline, name="person_timeline"),
    path("people/<int:person_id>/log/", views.person_log, name="person_log"),
    path("organisations/<int:org_id>/", views.organisation_page, name="organisation"),
    path("organisations/<int:org_id>/risk/", views.organisation_risk, name="organisation_risk"),
    path("sites/<int:site_id>/", views.site_page, name="site"),
    path("paths/", views.paths_page, name="paths"),
    path("network/", views.network_page, name="network"),
    path("network/data.json", views.network_data, name="network_data"),
    path("import/", views.import_page, name="import"),
    path("import/duplicates/", views.duplicates_page, name="duplicates"),
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
