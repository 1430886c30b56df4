"""Report views: pages."""

urlpatterns: list = []
