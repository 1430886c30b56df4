"""The project's URLs plus views that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from pcc_dashboard.urls import urlpatterns as project_urlpatterns

SECRET_IN_EXCEPTION = "canary-db-password-hunter2-in-exception"


def explode(request):
    raise RuntimeError(f"connection failed for postgres://admin:{SECRET_IN_EXCEPTION}@db/pcc")


def forbidden(request):
    raise PermissionDenied(f"internal rule {SECRET_IN_EXCEPTION}")


urlpatterns = [
    path("test-errors/explode/", explode),
    path("test-errors/forbidden/", forbidden),
    *project_urlpatterns,
]
