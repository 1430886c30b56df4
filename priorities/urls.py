from django.urls import path

from priorities import views

urlpatterns = [
    path("", views.home, name="home"),
    path("plan/file/", views.plan_file, name="plan_file"),
]
