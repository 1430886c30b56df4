"""App configuration for returns."""

from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Rebuild the submitters and agreed data sets whenever the plan or reference data is loaded."""
        from priorities.derived import plan_loaded
        from returns.reference import data_sets_derive

        def derive(sender, **kwargs):
            return data_sets_derive()

        plan_loaded.connect(derive, weak=False, dispatch_uid="returns-data-sets")
