"""Report pages: the public plan page and the accessibility statement (more pages in later modules)."""

from django.shortcuts import render
from django.urls import path

from priorities.selectors import plan_tree


def public(request):
    """R14: the published plan and how performance is judged, for anyone (no sign-in)."""
    return render(request, "reports/public.html", plan_tree(None))


def accessibility(request):
    return render(request, "reports/accessibility.html")


urlpatterns = [
    path("public/", public, name="public"),
    path("accessibility/", accessibility, name="accessibility"),
]
