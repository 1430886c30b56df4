from django.urls import path, re_path

from returns import views

urlpatterns = [
    path("", views.return_list, name="return_list"),
    path("upload/", views.return_upload, name="return_upload"),
    path("tracker/", views.return_tracker, name="return_tracker"),
    path("audit/", views.audit_log, name="audit_log"),
    path("outcome-audits/", views.outcome_audit_list, name="outcome_audit_list"),
    path("failed/<int:pk>/report.csv", views.failed_report, name="return_failed_report"),
    path("<int:pk>/", views.return_detail, name="return_detail"),
    path("<int:pk>/accept/", views.return_accept, name="return_accept"),
    path("<int:pk>/reject/", views.return_reject, name="return_reject"),
    path("<int:pk>/original/", views.return_original, name="return_original"),
    re_path(
        r"^(?P<submitter_code>[-a-z0-9_]+)/(?P<start>\d{4}-\d{2}-\d{2})/(?P<end>\d{4}-\d{2}-\d{2})/template\.(?P<fmt>csv|xlsx)$",
        views.return_template,
        name="return_template",
    ),
    re_path(
        r"^(?P<submitter_code>[-a-z0-9_]+)/(?P<start>\d{4}-\d{2}-\d{2})/(?P<end>\d{4}-\d{2}-\d{2})/$",
        views.return_history,
        name="return_history",
    ),
]
