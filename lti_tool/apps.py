"""Django app configuration for the Accolade tool service."""

from django.apps import AppConfig


class LtiToolConfig(AppConfig):
    name = "lti_tool"
    label = "lti_tool"
    verbose_name = "Accolade"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
