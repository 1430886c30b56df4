"""Report views: outcomes."""

urlpatterns: list = []
