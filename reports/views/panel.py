"""Report views: panel."""

urlpatterns: list = []
