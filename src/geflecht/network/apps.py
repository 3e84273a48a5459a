from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "geflecht.network"
    verbose_name = _("Relationships and interactions")

    def ready(self) -> None:
        from geflecht.network.params import strength_params

        strength_params()  # a bad GEFLECHT_STRENGTH_PARAMS stops the start with a message

        # Merging two persons moves their ties and meetings; people, below, calls the step.
        from geflecht.network.merge import merge_ties
        from geflecht.people.actions import register_merge_step

        register_merge_step(merge_ties)
