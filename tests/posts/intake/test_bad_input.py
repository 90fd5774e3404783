"""A bad tip gets a clear message and stores nothing: fields, files, sizes, tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posts.intake.link_guard import tip_request_limit
from tests import factories
from tests import media_samples as samples
from tests.posts.intake.support import (
    LINK_TIP,
    STAFF_HOME,
    counts,
    esigned_consent,
    files,
    link,
)
from tests.signin_support import SignInClient

# -- bad input: a clear message, and nothing stored --------------------------


def _bad_inputs(practice, other_practice):
    expired = factories.make_consent(practice, expires_at=timezone.now() - timedelta(days=1))
    story_only = factories.make_consent(practice, patient_label="Lee K.", uses=["story"])
    foreign = factories.make_consent(other_practice, patient_label="Other P.")
    good = samples.photo("good.jpg")
    jpeg = samples.jpeg_bytes()
    base = {"kind": "team", "text": "Hello"}
    return {
        "truncated JPEG": (
            base
            | {
                "photos": [
                    samples.photo("ok.jpg"),
                    samples.upload("cut.jpg", jpeg[: len(jpeg) // 2]),
                ]
            },
            "could not be read completely",
        ),
        "PNG decompression bomb": (
            base | {"photos": [samples.upload("bomb.png", samples.png_bomb(), "image/png")]},
            "pixels",
        ),
        "SVG with script": (
            base | {"photos": [samples.upload("x.svg", samples.SVG_WITH_SCRIPT, "image/svg+xml")]},
            "looks like an SVG drawing",
        ),
        "PDF renamed .jpg": (
            base | {"photos": [samples.upload("scan.jpg", samples.pdf_bytes())]},
            "looks like a PDF",
        ),
        "HTML renamed .png": (
            base | {"photos": [samples.upload("page.png", samples.HTML_PAGE, "image/png")]},
            "looks like a web page",
        ),
        "zero-byte file": (
            base | {"photos": [samples.upload("empty.jpg", b"")]},
            "is empty",
        ),
        "photo 3 of 4 rejected": (
            base
            | {
                "photos": [
                    samples.photo("1.jpg", color=(1, 1, 1)),
                    samples.photo("2.jpg", color=(2, 2, 2)),
                    samples.upload("3.jpg", b"not a photo at all"),
                    samples.photo("4.jpg", color=(4, 4, 4)),
                ]
            },
            "“3.jpg” is not a photo we can read",
        ),
        "20,000-character story": ({"kind": "team", "text": "x" * 20_000}, "under 5000 characters"),
        "NUL bytes in the text": ({"kind": "team", "text": "before\x00after"}, "Null characters"),
        "eleven photos": (
            base | {"photos": [samples.photo(f"{i}.jpg", color=(i, 0, 0)) for i in range(11)]},
            "You chose 11 photos; a tip can have at most 10",
        ),
        "patient but no consent": (
            base | {"features_patient": "on", "photos": [good]},
            "choose their authorization on file, or record a new one",
        ),
        "existing consent not chosen": (
            base | {"features_patient": "on", "patient_consent": "existing"},
            "Please choose the patient&#x27;s authorization.",
        ),
        "expired consent chosen": (
            base | {"features_patient": "on", "patient_consent": "existing", "consent": expired.pk},
            "expired on",
        ),
        "consent that does not allow photos": (
            base
            | {
                "features_patient": "on",
                "patient_consent": "existing",
                "consent": story_only.pk,
                "photos": [samples.photo()],
            },
            "does not allow: photo",
        ),
        "another practice's consent posted by hand": (
            base | {"features_patient": "on", "patient_consent": "existing", "consent": foreign.pk},
            "That authorization is not one of this practice&#x27;s.",
        ),
        "new consent without the statements acknowledged": (
            base | esigned_consent(**{"consent-statements_acknowledged": ""}),
            "must be shown to and acknowledged",
        ),
        "new consent with a signature that does not match": (
            base | esigned_consent(**{"consent-typed_signature": "Someone Else"}),
            "must match the name of the person signing",
        ),
        "new consent already expired": (
            base | esigned_consent(**{"consent-expires_on": "2020-01-01"}),
            "expiry date must be after today",
        ),
        "new consent not covering the photo": (
            base | {"photos": [samples.photo()]} | esigned_consent(**{"consent-uses": ["story"]}),
            "does not allow: photo",
        ),
        "new consent with an HTML page as the signed form": (
            base
            | esigned_consent(
                **{
                    "consent-method": "upload",
                    "consent-document": samples.upload("form.pdf", samples.HTML_PAGE),
                }
            ),
            "Please upload a PDF or a photo",
        ),
        "new consent with a cut-off PDF": (
            base
            | esigned_consent(
                **{
                    "consent-method": "upload",
                    "consent-document": samples.upload("form.pdf", samples.pdf_bytes()[:60]),
                }
            ),
            "PDF that seems to be cut off",
        ),
        "nothing at all": ({"kind": "team"}, "Please add a photo, a video or a few words"),
        "unknown kind": ({"kind": "gossip", "text": "x"}, "Select a valid choice"),
    }


BAD_INPUTS = [
    "truncated JPEG",
    "PNG decompression bomb",
    "SVG with script",
    "PDF renamed .jpg",
    "HTML renamed .png",
    "zero-byte file",
    "photo 3 of 4 rejected",
    "20,000-character story",
    "NUL bytes in the text",
    "eleven photos",
    "patient but no consent",
    "existing consent not chosen",
    "expired consent chosen",
    "consent that does not allow photos",
    "another practice's consent posted by hand",
    "new consent without the statements acknowledged",
    "new consent with a signature that does not match",
    "new consent already expired",
    "new consent not covering the photo",
    "new consent with an HTML page as the signed form",
    "new consent with a cut-off PDF",
    "nothing at all",
    "unknown kind",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gets_a_message_and_stores_nothing(
    staff_client, practice, other_practice, media_root, case
):
    data, message = _bad_inputs(practice, other_practice)[case]
    before = counts()
    response = staff_client.post(STAFF_HOME, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Your tip was not sent yet." in page
    assert counts() == before
    assert files(media_root) == set()


def test_a_file_over_the_size_limit(staff_client, settings, media_root):
    settings.MAX_PHOTO_BYTES = 100_000
    big = samples.upload("huge.jpg", samples.jpeg_bytes(3000, 2000))
    assert big.size > 100_000
    response = staff_client.post(STAFF_HOME, {"kind": "team", "photos": [big]})
    assert response.status_code == 200
    assert "“huge.jpg” is" in response.content.decode()
    assert "a photo can be at most 0.1 MB" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_a_request_larger_than_any_tip_is_refused_unread(client, practice, settings, media_root):
    # What the client announces is checked before a byte of the body is read.
    too_much = tip_request_limit() + 1
    response = client.post(
        link(practice), LINK_TIP | {"photos": [samples.photo()]}, CONTENT_LENGTH=str(too_much)
    )
    assert response.status_code == 200
    assert "larger than a tip can take" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_through_the_link_a_request_too_large_is_refused_before_the_csrf_check_reads_it(
    practice, settings, media_root
):

    strict = SignInClient(enforce_csrf_checks=True)
    strict.get(link(practice))  # the page, and its CSRF cookie, as a phone would
    too_much = tip_request_limit() + 1
    response = strict.post(
        link(practice), LINK_TIP | {"photos": [samples.photo()]}, CONTENT_LENGTH=str(too_much)
    )
    # Reading the body would fail here: the test client holds fewer bytes than announced.
    assert response.status_code == 200
    assert "larger than a tip can take" in response.content.decode()
    assert counts() == (0, 0, 0) and files(media_root) == set()


def test_through_the_link_a_tip_without_the_csrf_token_is_refused(practice, media_root):

    strict = SignInClient(enforce_csrf_checks=True)
    response = strict.post(link(practice), LINK_TIP)
    assert response.status_code == 403
    assert counts() == (0, 0, 0)


def test_all_bad_photos_are_named_at_once(staff_client):
    response = staff_client.post(
        STAFF_HOME,
        {
            "kind": "team",
            "photos": [samples.upload("one.jpg", b"nope"), samples.upload("two.jpg", b"")],
        },
    )
    page = response.content.decode()
    assert "“one.jpg”" in page and "“two.jpg”" in page
