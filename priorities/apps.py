"""App configuration for priorities."""

from django.apps import AppConfig


class PrioritiesConfig(AppConfig):
    name = "priorities"
    default_auto_field = "django.db.models.BigAutoField"
