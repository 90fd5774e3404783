from django.urls import path

from posts import publishing_views, views

urlpatterns = [
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path(
        "publications/<int:pk>/retry/",
        publishing_views.publication_retry,
        name="publication_retry",
    ),
    path(
        "publications/<int:pk>/removed/",
        publishing_views.publication_removed,
        name="publication_removed",
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("tips/", views.staff_home, name="staff_home"),
    path("tips/<int:pk>/", views.tip_detail, name="tip_detail"),
]
