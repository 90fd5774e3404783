"""Photo cleaning and per-platform renderings, in plain Pillow.

Clinic staff upload phone photos. Before anything else sees them, `clean_image`
proves that the bytes are a photo (Pillow decodes them completely), turns them
upright, converts them to sRGB and re-encodes the pixels alone: no EXIF (GPS
position, timestamps, device serials), XMP, IPTC, comments, ICC profile or PNG
text survives (compliance rules, section 3). `render_variants` then crops and
scales a cleaned photo for each platform's frame.

No Django here: bytes in, plain data out. Storing files and rows is the
caller's job.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

# iPhones save HEIC. Depth maps, auxiliary images and thumbnails inside the
# container are never used, so libheif does not need to read them.
pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

# The only decoders untrusted bytes ever reach. Restricting Image.open keeps
# the many other Pillow plugins (EPS hands data to Ghostscript, for one) out
# of reach of an upload. "JPEG" also opens MPO files, the JPEGs with an extra
# picture that some Android cameras write; only the first picture is kept.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")

JPEG_QUALITY = 88
# One set of encoder options for every JPEG we write, so that the same pixels
# always give the same bytes (the content hash detects duplicates); chroma
# subsampling is spelled out rather than left to the library default.
# Baseline, not progressive: it is the form every platform and tool accepts,
# it encodes twice as fast, and it decodes faster and at reduced scale
# (see render_variants), which every later rendering of the photo pays for.
JPEG_OPTIONS = {
    "quality": JPEG_QUALITY,
    "optimize": True,
    "progressive": False,
    "subsampling": "4:2:0",
}
# zlib's default level: optimize=True (level 9) takes several times longer on a
# photo-sized PNG for a few percent.
PNG_OPTIONS = {"compress_level": 6}

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")
# ICC colour space signature for each mode a profile can be applied to.
_ICC_SPACE_FOR_MODE = {"RGB": "RGB", "CMYK": "CMYK", "L": "GRAY"}


class ImageRejected(Exception):
    """An upload that is not a photo we accept.

    `message` is a plain sentence for the person who uploaded it; `code` is a
    short stable word for callers and tests (empty, too_large, too_many_pixels,
    not_an_image, unsupported_format, animated, damaged).
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanedImage:
    data: bytes
    content_type: str  # "image/jpeg" or "image/png"
    extension: str  # "jpg" or "png", without the dot
    width: int
    height: int
    sha256: str  # of data


@dataclass(frozen=True)
class VariantSpec:
    name: str
    width: int
    height: int
    platform: str
    label: str


# Recommended sizes for a single-image feed post. The platforms publish ratios
# more firmly than pixel counts, so the ratio is what matters; the width is the
# one the platform displays without scaling down again.
VARIANT_SPECS: dict[str, VariantSpec] = {
    spec.name: spec
    for spec in (
        # Instagram Help Center ("What resolution should my photos be"): width
        # up to 1080 px kept, aspect ratio between 1.91:1 and 4:5, i.e. height
        # 566 to 1350 at 1080 wide. The Graph API rejects other ratios with
        # subcode 2207009.
        VariantSpec("instagram_square", 1080, 1080, "instagram", "Instagram square (1:1)"),
        VariantSpec("instagram_portrait", 1080, 1350, "instagram", "Instagram portrait (4:5)"),
        VariantSpec("instagram_landscape", 1080, 566, "instagram", "Instagram landscape (1.91:1)"),
        # Meta's sharing guide for webmasters: images of at least 1200 x 630
        # display best on high-resolution screens; 1.91:1 shows uncropped in
        # the feed on desktop and mobile. Page photos must stay under 4 MB.
        VariantSpec("facebook", 1200, 630, "facebook", "Facebook (1.91:1)"),
        # LinkedIn's image specifications for shared images and single-image
        # posts: 1200 x 627 (1.91:1).
        VariantSpec("linkedin", 1200, 627, "linkedin", "LinkedIn (1.91:1)"),
        # X's media best practices recommend 16:9 for a post with one image;
        # 1600 x 900 stays sharp on high-density screens (5 MB limit).
        VariantSpec("x", 1600, 900, "x", "X (16:9)"),
        # Google Business Profile posts: 4:3, at least 400 x 300, JPG/PNG up to
        # 5 MB; 1200 x 900 is the size most guides recommend.
        VariantSpec("google_business", 1200, 900, "google_business", "Google Business (4:3)"),
    )
}

# What a post uses when nobody picked a frame. Square for Instagram: phone
# photos come in both orientations and a square crop keeps most of either.
PLATFORM_VARIANT: dict[str, str] = {
    "facebook": "facebook",
    "instagram": "instagram_square",
    "linkedin": "linkedin",
    "x": "x",
    "google_business": "google_business",
}


@dataclass(frozen=True)
class RenderedVariant:
    spec: str
    data: bytes
    content_type: str
    width: int
    height: int


# --------------------------------------------------------------------------
# Cleaning


def clean_image(
    data: bytes, *, filename: str = "", max_bytes: int, max_pixels: int
) -> CleanedImage:
    """Return the photo in `data` re-encoded from its pixels, or raise ImageRejected.

    `filename` is only used in messages; neither it nor any claimed content
    type decides what the file is.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With this global switched on, Pillow fills the missing part of a cut
        # off file with grey instead of failing, and we would store it.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")

    name = _quoted(filename)
    if not data:
        raise ImageRejected(
            f"{name} is empty (0 bytes). Please choose the photo again.", code="empty"
        )
    if len(data) > max_bytes:
        raise ImageRejected(
            f"{name} is {_megabytes(len(data))}; a photo can be at most {_megabytes(max_bytes)}.",
            code="too_large",
        )

    im = _open(data, name)
    width, height = im.size
    # Image.open has read the header only: refuse huge canvases before a single
    # pixel is decoded (a few kilobytes of PNG can claim gigabytes of pixels).
    if width * height > max_pixels:
        raise ImageRejected(
            f"{name} is {width:,} × {height:,} pixels; a photo can have at most "
            f"{_megapixels(max_pixels)}.",
            code="too_many_pixels",
        )
    if im.format in ("PNG", "WEBP") and getattr(im, "is_animated", False):
        raise ImageRejected(
            f"{name} is an animation. Please upload a still photo.", code="animated"
        )

    try:
        im.load()
    except Exception as exc:  # any decoder failure means we cannot read the file
        raise _damaged(name) from exc

    # Upright first, while the EXIF that says how is still attached. Rotating
    # the decoded pixels in place frees the sideways copy straight away.
    ImageOps.exif_transpose(im, in_place=True)
    icc = im.info.get("icc_profile")
    im = _to_srgb(im, icc)

    # From here on nothing of the upload but its pixels may reach the encoder:
    # some Pillow encoders fall back to the source's info (comment, ICC).
    im.info = {}
    if im.mode == "RGBA":
        content_type, extension, out = "image/png", "png", _encode(im, "PNG")
    else:
        content_type, extension, out = "image/jpeg", "jpg", _encode(im, "JPEG")
    return CleanedImage(
        data=out,
        content_type=content_type,
        extension=extension,
        width=im.width,
        height=im.height,
        sha256=hashlib.sha256(out).hexdigest(),
    )


def _open(data: bytes, name: str) -> Image.Image:
    try:
        im = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (raised above twice its 89-megapixel default, or
        # the warning when a caller turned warnings into errors).
        raise ImageRejected(
            f"{name} has far too many pixels to be a photo we can take.",
            code="too_many_pixels",
        ) from exc
    except UnidentifiedImageError as exc:
        raise _not_a_photo(data, name) from exc
    except Exception as exc:  # a recognised header that is broken further on
        raise _damaged(name) from exc
    return im


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Return an "RGB" image, or "RGBA" when some pixel is really transparent."""
    alpha = None
    if im.mode in _ALPHA_MODES or "transparency" in im.info:
        # Palette and grey images with a transparent index or colour too.
        if im.mode != "RGBA":
            im = im.convert("RGBA")
        alpha = im.getchannel("A")
        lowest_alpha, _ = alpha.getextrema()
        if lowest_alpha == 255:
            alpha = None  # an alpha channel that hides nothing: a plain photo
        im = im.convert("RGB")

    if im.mode in _SIXTEEN_BIT_MODES:
        # 16-bit grey PNG. convert("L") clips at 255 rather than scaling.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif im.mode in ("1", "P"):
        im = im.convert("L" if im.mode == "1" else "RGB")

    if icc:
        im = _apply_icc(im, icc)
    if im.mode != "RGB":  # grey, CMYK or YCbCr without a usable profile
        im = im.convert("RGB")
    if alpha is not None:
        im.putalpha(alpha)
    return im


def _apply_icc(im: Image.Image, icc: bytes) -> Image.Image:
    """Convert pixels described by an embedded profile to sRGB.

    A phone in Display P3 (iPhone) or a CMYK export would otherwise look dull
    or wrong once the profile is dropped. A profile that cannot be parsed, or
    does not fit the pixels, is ignored: the pixels are then taken as sRGB,
    which is what the platforms assume anyway.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip()
        if _ICC_SPACE_FOR_MODE.get(im.mode) != space:
            return im
        description = ImageCms.getProfileDescription(source).strip().lower()
        if space == "RGB" and description.startswith("srgb"):
            return im  # already sRGB: skip a transform over every pixel
        if im.mode == "RGB":
            ImageCms.profileToProfile(im, source, _srgb_profile(), inPlace=True)
            return im
        converted = ImageCms.profileToProfile(im, source, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return im
    return converted if converted is not None else im


_SRGB: ImageCms.ImageCmsProfile | None = None


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    global _SRGB  # built once; profiles are immutable
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def _encode(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        im.save(buf, "JPEG", **JPEG_OPTIONS)
    else:
        im.save(buf, "PNG", **PNG_OPTIONS)
    return buf.getvalue()


# --------------------------------------------------------------------------
# Messages


def _quoted(filename: str) -> str:
    return f"“{filename}”" if filename else "This file"


def _megabytes(n: int) -> str:
    value = n / (1024 * 1024)
    text = f"{value:.1f}".removesuffix(".0") if value < 100 else f"{value:.0f}"
    return f"{text} MB"


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:.1f}".removesuffix(".0") + " megapixels"


_ASK_FOR_PHOTO = "Please upload a JPEG, PNG, WebP or HEIC photo."


def _damaged(name: str) -> ImageRejected:
    return ImageRejected(
        f"{name} could not be read completely: the file seems to be cut off or "
        "damaged. Please upload it again, or export the photo once more.",
        code="damaged",
    )


def _not_a_photo(data: bytes, name: str) -> ImageRejected:
    """Say what the bytes look like, so the uploader knows what went wrong.

    This only words the message: whether a file is accepted is decided by
    decoding it, never by these signatures.
    """
    head = data[:512]
    brand = head[4:12]  # ISO media files (HEIC, AVIF, MP4, MOV) name their kind here
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"GIF87a", b"GIF89a")):
        if _is_animated_gif(data):
            return ImageRejected(
                f"{name} is an animated GIF. Please upload a still photo "
                "(JPEG, PNG, WebP or HEIC).",
                code="animated",
            )
        return ImageRejected(
            f"{name} is a GIF, which we do not take for photos. {_ASK_FOR_PHOTO}",
            code="unsupported_format",
        )
    kinds = [
        (head.startswith(b"%PDF-"), "a PDF", "not_an_image"),
        (b"<svg" in text, "an SVG drawing", "not_an_image"),
        (text.startswith(b"<!doctype html") or b"<html" in text, "a web page", "not_an_image"),
        (head.startswith((b"II*\x00", b"MM\x00*")), "a TIFF image", "unsupported_format"),
        (head.startswith(b"BM"), "a BMP image", "unsupported_format"),
        (brand in (b"ftypavif", b"ftypavis"), "an AVIF image", "unsupported_format"),
        # An iPhone Live Photo's video half, or a clip picked by mistake.
        (brand in (b"ftypqt  ", b"ftypmp42", b"ftypisom", b"ftypM4V "), "a video", "not_an_image"),
        (head.startswith(b"PK\x03\x04"), "a ZIP archive or Office document", "not_an_image"),
    ]
    for matched, kind, code in kinds:
        if matched:
            return ImageRejected(
                f"{name} is not a photo we can read (it looks like {kind}). {_ASK_FOR_PHOTO}",
                code=code,
            )
    return ImageRejected(
        f"{name} is not a photo we can read. {_ASK_FOR_PHOTO}", code="not_an_image"
    )


def _is_animated_gif(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=("GIF",)) as gif:
            return bool(getattr(gif, "is_animated", False))
    except Exception:  # only for wording the message; a broken GIF is "a GIF"
        return False


# --------------------------------------------------------------------------
# Variants


def crop_box(
    width: int, height: int, target_w: int, target_h: int, focal_x: float, focal_y: float
) -> tuple[int, int, int, int]:
    """Largest box of the target's aspect ratio, centred on the focal point
    as far as the frame allows. Returns (left, top, right, bottom)."""
    if not (0.0 <= focal_x <= 1.0 and 0.0 <= focal_y <= 1.0):
        raise ValueError(f"focal point ({focal_x}, {focal_y}) must lie within 0..1")
    if min(width, height, target_w, target_h) < 1:
        raise ValueError("sizes must be positive")
    # Compare ratios in integers so that equal ratios never wobble.
    if width * target_h >= height * target_w:  # source is wider: keep full height
        box_h = height
        box_w = min(width, max(1, round(height * target_w / target_h)))
    else:
        box_w = width
        box_h = min(height, max(1, round(width * target_h / target_w)))
    left = _clamp(round(focal_x * width - box_w / 2), 0, width - box_w)
    top = _clamp(round(focal_y * height - box_h / 2), 0, height - box_h)
    return left, top, left + box_w, top + box_h


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def render_variant(
    cleaned: bytes, spec: str, *, focal_x: float = 0.5, focal_y: float = 0.5
) -> RenderedVariant:
    return render_variants(cleaned, [spec], focal_x=focal_x, focal_y=focal_y)[spec]


def render_variants(
    cleaned: bytes, specs: Iterable[str], *, focal_x: float = 0.5, focal_y: float = 0.5
) -> dict[str, RenderedVariant]:
    """Render several frames of one cleaned photo, decoding it once.

    `cleaned` must be the output of clean_image (upright, sRGB, no metadata).
    """
    names = list(dict.fromkeys(specs))
    unknown = [n for n in names if n not in VARIANT_SPECS]
    if unknown:
        raise ValueError(f"unknown variant spec(s) {unknown}; known: {sorted(VARIANT_SPECS)}")
    # Checked here too, so that a bad focal point fails before decoding.
    crop_box(1, 1, 1, 1, focal_x, focal_y)

    opened = Image.open(io.BytesIO(cleaned), formats=("JPEG", "PNG"))
    full_w, full_h = opened.size
    # Downscaling by 2, 4 or 8 is done before Lanczos, which then only has the
    # last, small step to do: two to three times faster, and no visible
    # difference (the tests hold the gap to a full-resolution Lanczos pass well
    # below what the JPEG encoding of the frame changes anyway).
    # The steps depend on the photo's size alone, not on which specs are
    # requested together, so a variant always comes out byte for byte the same.
    # First, for a JPEG, libjpeg decodes straight at the scale that every
    # frame allows (its DCT scaling is a proper downsampling filter).
    decoded_scale = _power_of_two_at_most(
        min(_reduction(full_w, full_h, s) for s in VARIANT_SPECS.values())
    )
    if opened.format != "JPEG":
        decoded_scale = 1
    if decoded_scale > 1:
        opened.draft("RGB", (full_w // decoded_scale, full_h // decoded_scale))
    opened.load()
    im: Image.Image = opened
    if im.mode not in ("RGB", "RGBA"):
        im = im.convert("RGBA" if "A" in im.mode else "RGB")
    fmt = "PNG" if im.mode == "RGBA" else "JPEG"
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"

    # Then, per frame, a box-filter reduce() to the largest power of two the
    # frame allows, shared by the frames that need the same one.
    sources: dict[int, Image.Image] = {decoded_scale: im}
    rendered = {}
    for name in names:
        spec = VARIANT_SPECS[name]
        full_box = crop_box(full_w, full_h, spec.width, spec.height, focal_x, focal_y)
        box_w = full_box[2] - full_box[0]
        if box_w < spec.width:
            # Never upscale: a photo smaller than the frame keeps its own
            # pixels, cropped to the frame's ratio (decoded_scale is 1 here).
            frame = im.crop(full_box)
        else:
            scale = max(decoded_scale, _power_of_two_at_most(box_w / spec.width))
            if scale not in sources:
                sources[scale] = im.reduce(scale // decoded_scale)
            left, top, right, bottom = (edge / scale for edge in full_box)
            box = (left, top, right, bottom)
            frame = sources[scale].resize(
                (spec.width, spec.height), Image.Resampling.LANCZOS, box=box
            )
        rendered[name] = RenderedVariant(
            spec=name,
            data=_encode(frame, fmt),
            content_type=content_type,
            width=frame.width,
            height=frame.height,
        )
    return rendered


def _reduction(width: int, height: int, spec: VariantSpec) -> float:
    """How many times smaller than the photo the spec's frame is (its crop box
    is as wide as the photo or as tall, whichever comes first)."""
    return min(width / spec.width, height / spec.height)


def _power_of_two_at_most(factor: float) -> int:
    for scale in (8, 4, 2):
        if factor >= scale:
            return scale
    return 1


__all__ = [
    "PLATFORM_VARIANT",
    "VARIANT_SPECS",
    "CleanedImage",
    "ImageRejected",
    "RenderedVariant",
    "VariantSpec",
    "clean_image",
    "crop_box",
    "render_variant",
    "render_variants",
]
