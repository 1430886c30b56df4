from django.urls import path

from priorities import views

urlpatterns = [
    path("", views.home, name="home"),
]
