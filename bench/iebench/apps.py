"""App config for the django-import-export comparison model."""

from django.apps import AppConfig


class IebenchConfig(AppConfig):
    name = "bench.iebench"
    label = "iebench"
    default_auto_field = "django.db.models.BigAutoField"
