"""Report URLs: each view module owns its patterns (see reports/views/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("reports.views.public")),
    path("", include("reports.views.snapshots")),
    path("", include("reports.views.meetings")),
    # Before pages: its measure_download pattern would also match …/forces.csv.
    path("", include("reports.views.national")),
    path("", include("reports.views.statements")),
    path("", include("reports.views.pages")),
    path("", include("reports.views.panel")),
    path("", include("reports.views.outcomes")),
    path("api/v1/", include("reports.views.api")),
]
