"""Report views: api."""

urlpatterns: list = []
