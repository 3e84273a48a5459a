from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "geflecht.jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # Each app's ``tasks`` module registers the kinds of job it runs (jobs.runner.handler)
        # and its periodic jobs, so the web, the CLI and the worker know the same kinds.
        autodiscover_modules("tasks")
        # Remembered answers (lib/remember, below this app) refresh as jobs of this queue.
        from geflecht.jobs import refresh
        from geflecht.lib import remember

        remember.set_refresher(refresh.start_refresh)
