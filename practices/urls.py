from django.urls import path

from practices import views

urlpatterns = [
    path("practices/<slug:slug>/", views.practice_detail, name="practice_detail"),
]
