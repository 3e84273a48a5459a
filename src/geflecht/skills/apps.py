from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SkillsConfig(AppConfig):
    name = "geflecht.skills"
    verbose_name = _("Skills and experts")

    def ready(self) -> None:
        # Merging two persons moves their skills; people, a layer below, calls the step.
        from geflecht.people.actions import register_merge_step
        from geflecht.skills.actions import merge_person_skills

        register_merge_step(merge_person_skills)
