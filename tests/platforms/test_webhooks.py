"""Meta's webhooks: the signature is checked on the raw bytes, in constant time, and a
delivery says what to fetch; the sandbox sends them, signed, when asked to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from platforms import PublishRequest
from platforms.webhooks import (
    WebhookError,
    parse_meta_delivery,
    sign_meta,
    verify_meta_signature,
)

SECRET = "app-secret-for-tests"
BODY = b'{"object":"page","entry":[{"id":"1000001","time":1765000000,"changes":[]}]}'


def _meta_signature(secret: str, body: bytes) -> str:
    """Computed here as Meta documents it, not with the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_valid_signature_verifies():
    assert verify_meta_signature(SECRET, BODY, _meta_signature(SECRET, BODY))
    assert sign_meta(SECRET, BODY) == _meta_signature(SECRET, BODY)


def test_upper_case_hex_and_spaces_are_still_meta_s():
    header = _meta_signature(SECRET, BODY)
    assert verify_meta_signature(SECRET, BODY, " " + header.upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        pytest.param(SECRET, BODY, "sha256=" + "0" * 64, id="forged"),
        pytest.param(SECRET, BODY, _meta_signature("another-secret", BODY), id="wrong-secret"),
        pytest.param(SECRET, BODY, "", id="missing-header"),
        pytest.param(SECRET, BODY + b" ", _meta_signature(SECRET, BODY), id="body-tampered"),
        pytest.param(
            SECRET,
            BODY.replace(b"1000001", b"1000002"),
            _meta_signature(SECRET, BODY),
            id="other-page-swapped-in",
        ),
        pytest.param(SECRET, BODY, _meta_signature(SECRET, BODY)[7:], id="no-scheme"),
        pytest.param(
            SECRET,
            BODY,
            "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
            id="sha1-only",
        ),
        pytest.param("", BODY, _meta_signature("", BODY), id="no-secret-configured"),
        pytest.param(SECRET, BODY, "sha256=ünïcode", id="garbage"),
    ],
)
def test_anything_else_does_not_verify(secret, body, header):
    assert not verify_meta_signature(secret, body, header)


def test_a_page_delivery_names_the_comment_to_fetch():
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "1000001",
                    "time": 1765000000,
                    "changes": [
                        {
                            "field": "feed",
                            "value": {
                                "item": "comment",
                                "verb": "add",
                                "post_id": "1000001_42",
                                "comment_id": "42_7",
                                "message": "<script>alert(1)</script>",
                            },
                        },
                        {"field": "feed", "value": {"item": "reaction", "verb": "add"}},
                        {"field": "mention", "value": {"item": "post", "post_id": "9_9"}},
                    ],
                }
            ],
        }
    ).encode()
    comment, reaction, mention = parse_meta_delivery(body)
    assert (comment.platform, comment.account_id, comment.kind) == (
        "facebook",
        "1000001",
        "comment",
    )
    assert (comment.post_id, comment.comment_id, comment.verb) == ("1000001_42", "42_7", "add")
    assert comment.time is not None and comment.time.year >= 2025
    assert reaction.kind == ""  # not conversation the inbox reads
    assert (mention.kind, mention.post_id) == ("mention", "9_9")


def test_an_instagram_delivery_names_the_comment_and_the_media():
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "17841400000000001",
                    "time": 1765000000,
                    "changes": [
                        {
                            "field": "comments",
                            "value": {"id": "1801", "text": "hi", "media": {"id": "1790"}},
                        },
                        {"field": "mentions", "value": {"media_id": "1795", "comment_id": "1802"}},
                    ],
                }
            ],
        }
    ).encode()
    comment, mention = parse_meta_delivery(body)
    assert (comment.platform, comment.kind, comment.comment_id, comment.post_id) == (
        "instagram",
        "comment",
        "1801",
        "1790",
    )
    assert (mention.kind, mention.post_id, mention.comment_id) == ("mention", "1795", "1802")


def test_other_objects_ask_nothing_and_garbage_is_refused():
    assert parse_meta_delivery(b'{"object":"whatsapp_business_account","entry":[]}') == []
    with pytest.raises(WebhookError):
        parse_meta_delivery(b"not json")
    with pytest.raises(WebhookError):
        parse_meta_delivery(b'{"object":"page"}')
    with pytest.raises(WebhookError):
        parse_meta_delivery(b"\xff\xfe")


# -- the sandbox sends them -----------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.deliveries.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    """Our webhook endpoint's stand-in: it keeps what it is sent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.deliveries = []  # type: ignore[attr-defined]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/webhooks/meta", server.deliveries  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def test_the_sandbox_sends_nothing_unless_asked(sandbox, conversation, client_for, account_for):
    conversation.quiet()
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))
    conversation.inject("facebook", "comment", post_id=post.platform_id)
    assert conversation.deliveries() == []


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_the_sandbox_signs_a_delivery_for_a_new_comment(
    platform, sandbox, conversation, client_for, account_for, publish_request, receiver
):
    url, deliveries = receiver
    conversation.quiet()
    sandbox.faults(platform=platform, webhook_url=url, webhook_secret=SECRET)
    account = account_for(platform)
    post = client_for(platform).publish(account, publish_request(platform)).platform_id
    [made] = conversation.inject(platform, "comment", post_id=post, text="<b>new</b>")

    [(headers, body)] = deliveries
    assert verify_meta_signature(SECRET, body, headers["X-Hub-Signature-256"])
    assert not verify_meta_signature("not-the-secret", body, headers["X-Hub-Signature-256"])
    [change] = parse_meta_delivery(body)
    assert (change.platform, change.account_id, change.kind) == (
        platform,
        account.external_id,
        "comment",
    )
    assert (change.comment_id, change.post_id) == (made["id"], post)
    assert conversation.deliveries()[0]["status"] == 200


def test_a_clock_advance_announces_what_appeared_meanwhile(
    sandbox, conversation, client_for, account_for, advance_clock, receiver
):
    url, deliveries = receiver
    sandbox.faults(platform="facebook", webhook_url=url, webhook_secret=SECRET, conversation_rate=5)
    post = client_for("facebook").publish(account_for("facebook"), PublishRequest(text="Hi"))
    advance_clock(86400)
    shown = conversation.shown("facebook", post_id=post.platform_id, include_deleted=1)
    announced = {
        change.comment_id
        for _, body in deliveries
        for change in parse_meta_delivery(body)
        if change.kind == "comment"
    }
    assert shown and {c["id"] for c in shown} <= announced
    assert all(
        verify_meta_signature(SECRET, body, headers["X-Hub-Signature-256"])
        for headers, body in deliveries
    )
