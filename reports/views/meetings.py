"""Report views: meetings."""

urlpatterns: list = []
