from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportersConfig(AppConfig):
    name = "geflecht.importers"
    verbose_name = _("import and export")
