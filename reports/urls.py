from django.urls import path

from reports import views

urlpatterns = [
    path("public/", views.public, name="public"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
