"""URL configuration: plan pages, returns, snapshots and reports, the API, sign-in, admin."""

from django.contrib import admin
from django.urls import include, path

from pcc_dashboard import auth_views

admin.site.site_header = "Police and Crime Plan performance: administration"
admin.site.site_title = "Performance admin"

urlpatterns = [
    path("", include("priorities.urls")),
    path("returns/", include("returns.urls")),
    path("", include("reports.urls")),
    path("accounts/sign-in/", auth_views.SignInView.as_view(), name="login"),
    path("accounts/sign-out/", auth_views.SignOutView.as_view(), name="logout"),
    path("accounts/two-factor/", auth_views.two_factor, name="two_factor"),
    path("accounts/two-factor/set-up/<str:token>/", auth_views.two_factor_setup, name="two_factor_setup"),
    path("admin/", admin.site.urls),
]
