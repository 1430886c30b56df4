"""Report views: snapshots."""

urlpatterns: list = []
