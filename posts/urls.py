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
        "publications/<int:pk>/cancel/",
        publishing_views.publication_cancel,
        name="publication_cancel",
    ),
    path(
        "publications/<int:pk>/removed/",
        publishing_views.publication_removed,
        name="publication_removed",
    ),
    path("approvals/", views.approvals, name="approvals"),
    path("tips/", views.staff_home, name="staff_home"),
    path("tips/<int:pk>/", views.tip_detail, name="tip_detail"),
    path("tips/<int:pk>/decline/", views.tip_decline, name="tip_decline"),
    path("t/<str:token>/", views.tip_link, name="tip_link"),
    path("practices/<slug:slug>/tips/", views.tip_inbox, name="tip_inbox"),
    path("practices/<slug:slug>/tip-link/rotate/", views.tip_link_rotate, name="tip_link_rotate"),
    path("posts/new/", views.post_new, name="post_new"),
    path("media/<int:pk>/focal-point/", views.media_focal_point, name="media_focal_point"),
    path("media/<int:pk>/<str:spec>/", views.media_file, name="media_file"),
    path("media/s/<str:token>/", views.media_signed, name="media_signed"),
]
