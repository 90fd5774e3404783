from django.urls import path

from posts import views

urlpatterns = [
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("approvals/", views.approvals, name="approvals"),
    path("tips/", views.staff_home, name="staff_home"),
    path("tips/<int:pk>/", views.tip_detail, name="tip_detail"),
]
