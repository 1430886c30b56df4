"""App configuration for reports."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Bump the snapshot pages' cache generation whenever something they show is saved or deleted."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from priorities.models import Measure, Priority
        from reports.caching import freshness_bump
        from reports.models import Commentary, Snapshot, SnapshotPublication

        for model in (Measure, Priority, Commentary, Snapshot, SnapshotPublication):
            post_save.connect(freshness_bump, sender=model, dispatch_uid=f"snapshot-page-save-{model.__name__}")
            post_delete.connect(freshness_bump, sender=model, dispatch_uid=f"snapshot-page-delete-{model.__name__}")
        m2m_changed.connect(freshness_bump, sender=Measure.priorities.through, dispatch_uid="snapshot-page-m2m")
