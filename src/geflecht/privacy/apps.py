from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "geflecht.privacy"
    verbose_name = _("Data protection")

    def ready(self) -> None:
        from geflecht.privacy.retention import retention_days

        retention_days()  # a negative GEFLECHT_RETENTION_DAYS stops the start with a message
