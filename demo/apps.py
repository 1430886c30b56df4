"""App configuration for the demo builder: only its seed_demo command; no models."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
