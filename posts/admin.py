from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from posts.models import (
    Approval,
    CaptionTemplate,
    MediaAsset,
    MediaVariant,
    MetricSnapshot,
    Post,
    PostMedia,
    Publication,
    Tip,
    TipPhoto,
)

# django-stubs makes the admin classes generic over their models, but Django's
# own classes cannot be subscripted at runtime (that takes
# django_stubs_ext.monkeypatch(), which production does not install): the
# models are named for mypy only.
if TYPE_CHECKING:
    _TipPhotoInlineBase = admin.TabularInline[TipPhoto, Tip]
    _PostMediaInlineBase = admin.TabularInline[PostMedia, Post]
    _PublicationInlineBase = admin.TabularInline[Publication, Post]
    _MetricSnapshotAdminBase = admin.ModelAdmin[MetricSnapshot]
    _CaptionTemplateAdminBase = admin.ModelAdmin[CaptionTemplate]
else:
    _TipPhotoInlineBase = _PostMediaInlineBase = _PublicationInlineBase = admin.TabularInline
    _MetricSnapshotAdminBase = _CaptionTemplateAdminBase = admin.ModelAdmin


class TipPhotoInline(_TipPhotoInlineBase):
    model = TipPhoto
    extra = 0
    raw_id_fields = ["asset"]


@admin.register(Tip)
class TipAdmin(ReadOnlyAdmin):
    # Read-only: a tip's consent decides what its posts rely on, and declining
    # goes through the inbox, which tells the person who sent it.

    list_display = [
        "id",
        "practice",
        "kind",
        "status",
        "features_patient",
        "submitter_display",
        "created_at",
    ]
    list_filter = ["status", "kind", "features_patient", "via_link", "practice"]
    search_fields = ["text", "submitter_name", "submitter_email", "submitted_by__username"]
    list_select_related = ["practice", "submitted_by"]
    raw_id_fields = ["consent", "submitted_by", "declined_by"]
    inlines = [TipPhotoInline]


@admin.register(MediaAsset)
class MediaAssetAdmin(ReadOnlyAdmin):
    # Read-only: the focal point and alt text are part of what a doctor approves;
    # they change through the app, which sends affected posts back for review.

    list_display = ["id", "practice", "width", "height", "size_bytes", "sha256", "created_at"]
    list_filter = ["practice", "content_type"]
    search_fields = ["sha256", "alt_text"]
    readonly_fields = ["sha256", "width", "height", "size_bytes", "file"]


@admin.register(MediaVariant)
class MediaVariantAdmin(ReadOnlyAdmin):
    # View only: a variant is rendered from its cleaned photo (posts.media.photos); a
    # file uploaded here would skip the metadata cleaning and be what the
    # platforms are sent.

    list_display = ["asset", "spec", "width", "height", "size_bytes", "created_at"]
    list_filter = ["spec"]
    raw_id_fields = ["asset"]


class PostMediaInline(_PostMediaInlineBase):
    model = PostMedia
    extra = 0
    raw_id_fields = ["asset"]


class PublicationInline(_PublicationInlineBase):
    model = Publication
    extra = 0
    # Plain names, every one read-only: a tuple, which both settings take.
    fields: ClassVar[tuple[str, ...]] = (
        "account",
        "status",
        "attempts",
        "next_attempt_at",
        "platform_post_id",
        "last_error_kind",
        "last_error_message",
    )
    readonly_fields = fields
    can_delete = False


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "practice",
        "status",
        "scheduled_at",
        "features_patient",
        "author",
        "updated_at",
    ]
    list_filter = ["status", "features_patient", "is_testimonial", "practice"]
    search_fields = ["title", "caption"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["practice", "author"]
    inlines = [PostMediaInline, PublicationInline]

    # Read-only: a post changes only through the workflow, which voids an
    # approval when the content changes and never moves a status illegally.


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = [
        "post",
        "decision",
        "reviewer",
        "reviewer_label",
        "via",
        "created_at",
        "voided_at",
    ]
    list_filter = ["decision", "via"]
    search_fields = ["post__title", "reviewer__username", "comment"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "post",
        "account",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error_kind",
        "published_at",
    ]
    list_filter = ["status", "last_error_kind", "account__platform"]
    search_fields = ["platform_post_id", "post__title", "last_error_message"]
    list_select_related = ["post", "account"]

    # Read-only: an edited status or platform id here could publish a post
    # twice or lose one. Retries go through the post page.


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(_MetricSnapshotAdminBase):
    list_display = [
        "publication",
        "fetched_at",
        "reach",
        "impressions",
        "likes",
        "comments",
        "shares",
        "saves",
        "clicks",
    ]
    list_filter = ["publication__account__platform"]
    raw_id_fields = ["publication"]
    date_hierarchy = "fetched_at"


@admin.register(CaptionTemplate)
class CaptionTemplateAdmin(_CaptionTemplateAdminBase):
    """Captions to start from, kept by the agency lead (the editor offers them)."""

    list_display = ["name", "practice", "specialty"]
    list_filter = ["specialty"]
    search_fields = ["name", "text"]
