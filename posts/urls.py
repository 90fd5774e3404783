"""The posts app's pages: each capability's views, under the name of what they show.

Every view starts with a helper of `posts.access` (which re-exports the
practice-level ones of `practices.access`); none checks a role on its own.
"""

from __future__ import annotations

from django.urls import path

from posts.approval import views as approvals
from posts.authoring import views as editor
from posts.intake import views as tips
from posts.media import cover_views
from posts.media import views as media
from posts.planning import calendar_views as calendar
from posts.planning import views as posts
from posts.publishing import consent_views as consents
from posts.publishing import views as publications

urlpatterns = [
    path("posts/", posts.post_list, name="post_list"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("practices/<slug:slug>/calendar/", calendar.calendar_page, name="practice_calendar"),
    path("posts/<int:pk>/move/", calendar.post_move, name="post_move"),
    path("calendar/<str:token>.ics", posts.calendar_feed, name="calendar_feed"),
    path(
        "practices/<slug:slug>/calendar-link/rotate/",
        posts.calendar_link_rotate,
        name="calendar_link_rotate",
    ),
    path("practices/<slug:slug>/posts/", posts.post_list, name="practice_post_list"),
    path("posts/<int:pk>/", posts.post_detail, name="post_detail"),
    path("posts/new/", editor.post_new, name="post_new"),
    path("posts/checks/", editor.post_checks, name="post_checks"),
    path("practices/<slug:slug>/best-time/", editor.best_time, name="best_time"),
    path("posts/<int:pk>/edit/", editor.post_edit, name="post_edit"),
    path("posts/<int:pk>/send/", editor.post_action, {"action": "send"}, name="post_send"),
    path(
        "posts/<int:pk>/schedule/", editor.post_action, {"action": "schedule"}, name="post_schedule"
    ),
    path(
        "posts/<int:pk>/unschedule/",
        editor.post_action,
        {"action": "unschedule"},
        name="post_unschedule",
    ),
    path("posts/<int:pk>/cancel/", editor.post_action, {"action": "cancel"}, name="post_cancel"),
    path("posts/<int:pk>/queue/", editor.post_action, {"action": "queue"}, name="post_queue"),
    path("posts/<int:pk>/duplicate/", editor.post_duplicate, name="post_duplicate"),
    path("posts/<int:pk>/comments/", editor.post_comment, name="post_comment"),
    path(
        "posts/<int:pk>/accept-identifiers/",
        editor.post_accept_identifiers,
        name="post_accept_identifiers",
    ),
    path("approvals/", approvals.approval_home, name="approvals"),
    path("approvals/<slug:slug>/", approvals.approval_page, name="approval_page"),
    path("approvals/<slug:slug>/decide/", approvals.approval_decide, name="approval_decide"),
    path("approvals/<slug:slug>/all/", approvals.approval_all, name="approval_all"),
    # The e-mailed link: this page, its photos and its forms, and nothing else.
    path(
        "practices/<slug:slug>/approval-links/revoke/",
        approvals.approval_links_revoke,
        name="approval_links_revoke",
    ),
    # Before the links themselves: "new" is no link's token.
    path("a/new/", approvals.approval_link_request, name="approval_link_request"),
    path("a/<str:token>/", approvals.approval_link, name="approval_link"),
    path("a/<str:token>/decide/", approvals.approval_link_decide, name="approval_link_decide"),
    path("a/<str:token>/all/", approvals.approval_link_all, name="approval_link_all"),
    path("a/<str:token>/done/", approvals.approval_link_done, name="approval_link_done"),
    path(
        "a/<str:token>/photos/<int:pk>/<str:spec>/",
        approvals.approval_link_photo,
        name="approval_link_photo",
    ),
    path(
        "posts/<int:pk>/agency-review/pass/",
        editor.post_action,
        {"action": "pass_review"},
        name="post_pass_review",
    ),
    path(
        "posts/<int:pk>/agency-review/changes/",
        editor.post_action,
        {"action": "agency_changes"},
        name="post_agency_changes",
    ),
    path(
        "publications/<int:pk>/retry/",
        publications.publication_retry,
        name="publication_retry",
    ),
    path(
        "publications/<int:pk>/cancel/",
        publications.publication_cancel,
        name="publication_cancel",
    ),
    path(
        "publications/<int:pk>/removed/",
        publications.publication_removed,
        name="publication_removed",
    ),
    path("tips/", tips.staff_home, name="staff_home"),
    path("tips/<int:pk>/", tips.tip_detail, name="tip_detail"),
    path("tips/<int:pk>/decline/", tips.tip_decline, name="tip_decline"),
    path("tips/<int:pk>/authorization-copy/", tips.authorization_copy, name="authorization_copy"),
    path("t/<str:token>/", tips.tip_link, name="tip_link"),
    path("practices/<slug:slug>/tips/", tips.tip_inbox, name="tip_inbox"),
    path("inbox/tips/", tips.tip_inbox_all, name="tip_inbox_all"),
    path("practices/<slug:slug>/tip-link/rotate/", tips.tip_link_rotate, name="tip_link_rotate"),
    path(
        "practices/<slug:slug>/consents/<int:pk>/",
        consents.consent_detail,
        name="consent_detail",
    ),
    path(
        "practices/<slug:slug>/consents/<int:pk>/revoke/",
        consents.consent_revoke,
        name="consent_revoke",
    ),
    path("media/<int:pk>/focal-point/", media.media_focal_point, name="media_focal_point"),
    path("media/<int:pk>/cover/", cover_views.media_cover, name="media_cover"),
    path("media/<int:pk>/<str:spec>/", media.media_file, name="media_file"),
    path("media/s/<str:token>/", media.media_signed, name="media_signed"),
]
