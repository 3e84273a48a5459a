from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntrosConfig(AppConfig):
    name = "geflecht.intros"
    verbose_name = _("Introduction requests")
