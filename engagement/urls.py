from __future__ import annotations

from django.urls import path

from engagement import link_views, share_views, views, webhooks

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.item_page, name="inbox_item"),
    path("inbox/<int:pk>/reply/", views.reply, name="inbox_reply"),
    path("inbox/<int:pk>/state/", views.set_state, name="inbox_state"),
    path("inbox/<int:pk>/assign/", views.assign, name="inbox_assign"),
    path("inbox/<int:pk>/hide/", views.hide, name="inbox_hide"),
    path("inbox/<int:pk>/ask-to-share/", share_views.ask, name="inbox_ask_share"),
    path("inbox/<int:pk>/share-form/", share_views.send_form, name="inbox_share_form"),
    path("inbox/<int:pk>/draft/", share_views.draft, name="inbox_share_draft"),
    path("share/<str:token>/", share_views.share_request, name="share_request"),
    path("inbox/<int:pk>/delete/", views.delete_comment, name="inbox_delete"),
    path("inbox/replies/<int:pk>/delete/", views.delete_reply, name="reply_delete"),
    path("inbox/replies/<int:pk>/cancel/", views.cancel_reply, name="reply_cancel"),
    path("inbox/replies/<int:pk>/approve/", views.approve_reply, name="reply_approve"),
    path("inbox/saved/<int:pk>/delete/", views.delete_saved_reply, name="saved_reply_delete"),
    path("practices/<slug:slug>/inbox/", views.practice_inbox, name="practice_inbox"),
    path("practices/<slug:slug>/saved-replies/", views.saved_replies, name="saved_replies"),
    path("webhooks/meta/", webhooks.meta, name="webhook_meta"),
    # Through the doctor's e-mailed approval link (its pages are under a/<token>/).
    path("a/<str:token>/replies/", link_views.replies_by_link, name="replies_by_link"),
    path(
        "a/<str:token>/replies/<int:pk>/approve/",
        link_views.approve_by_link,
        name="reply_approve_by_link",
    ),
]
