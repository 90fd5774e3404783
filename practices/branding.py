"""A practice's logo: cleaned like a photo (re-encoded from its pixels, nothing of the
upload kept), then made small enough for the report's header."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image

import imaging

# Wide enough for a sharp header at print resolution, small enough to cost nothing.
LOGO_BOX = (600, 240)
LOGO_MAX_BYTES = 5 * 1024 * 1024


def clean_logo(upload: UploadedFile[bytes]) -> ContentFile[bytes]:
    """The logo as a PNG of at most LOGO_BOX; imaging.ImageRejected if it is no photo."""
    cleaned = imaging.clean_image(
        upload.read(),
        filename=upload.name or "",
        max_bytes=LOGO_MAX_BYTES,
        max_pixels=settings.MAX_PHOTO_PIXELS,
    )
    with Image.open(io.BytesIO(cleaned.data)) as image:
        image.thumbnail(LOGO_BOX)
        out = io.BytesIO()
        image.save(out, "PNG", optimize=True)
    return ContentFile(out.getvalue(), name="logo.png")
