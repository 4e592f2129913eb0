"""Messenger adapter: the exact courier fixture bytes and their signature, batched entries, receipts, watermarks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from server.channels import (
    ADAPTERS,
    Attachment,
    ChannelSecret,
    DeliveryReceipt,
    PayloadError,
    SignatureError,
    Watermark,
    WebhookRequest,
)

facebook = ADAPTERS["facebook"]
SECRET = ChannelSecret(secret="fb_app_secret", verify_token="meatyhamhock")
URL = "https://casework.example/api/channels/facebook"

# nyaruka/courier handlers/meta/testdata/fba/hello_msg.json, byte for byte (tabs, no final newline): 340 bytes
HELLO_FILE = "\n".join([
    '{', '\t"object": "page",', '\t"entry": [', '\t\t{', '\t\t\t"id": "1234567890",', '\t\t\t"messaging": [',
    '\t\t\t\t{', '\t\t\t\t\t"message": {', '\t\t\t\t\t\t"text": "Hello World",', '\t\t\t\t\t\t"mid": "external_id"',
    '\t\t\t\t\t},', '\t\t\t\t\t"recipient": {', '\t\t\t\t\t\t"id": "1234567890"', '\t\t\t\t\t},',
    '\t\t\t\t\t"sender": {', '\t\t\t\t\t\t"id": "5678"', '\t\t\t\t\t},', '\t\t\t\t\t"timestamp": 1459991487970',
    '\t\t\t\t}', '\t\t\t],', '\t\t\t"time": 1459991487970', '\t\t}', '\t]', '}',
]).encode()
HELLO_FILE_SIGNATURE = "sha256=6860fee038fe2a883cbfedc51fe5236822a62a235ad4c655f09359a57da8a401"
HELLO_COMPACT = (b'{"object":"page","entry":[{"id":"1234567890","time":1459991487970,"messaging":['
                 b'{"sender":{"id":"5678"},"recipient":{"id":"1234567890"},"timestamp":1459991487970,"message":{"mid":"external_id",'
                 b'"text":"Hello World"}}]}]}')
HELLO_COMPACT_SIGNATURE = "sha256=e4c36ae68ac6a3daf2663fe01bb94d2aecec755785be02765d50b03344d53099"


def post(body: bytes, signature: str | None = None) -> WebhookRequest:
    headers = {} if signature is None else {"X-Hub-Signature-256": signature}
    return WebhookRequest.build("POST", URL, headers, body)


def page(*events: dict, entries: int = 1) -> bytes:
    entry = {"id": "PAGE1", "time": 1700000000000, "messaging": list(events)}
    return json.dumps({"object": "page", "entry": [entry] * entries}).encode()


def event(**fields) -> dict:
    return {"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE1"}, "timestamp": 1700000000000, **fields}


def test_exact_fixture_file_and_compact_form_verify_with_their_own_signatures() -> None:
    assert len(HELLO_FILE) == 340
    facebook.verify(post(HELLO_FILE, HELLO_FILE_SIGNATURE), SECRET)
    facebook.verify(post(HELLO_COMPACT, HELLO_COMPACT_SIGNATURE), SECRET)
    with pytest.raises(SignatureError):  # same JSON, other bytes: another signature
        facebook.verify(post(HELLO_COMPACT, HELLO_FILE_SIGNATURE), SECRET)


@pytest.mark.parametrize("request_", [
    post(HELLO_FILE.replace(b"Hello World", b"Hello World!"), HELLO_FILE_SIGNATURE),
    post(HELLO_FILE + b"\n", HELLO_FILE_SIGNATURE),
    post(HELLO_FILE),
    post(HELLO_FILE, "sha256=6860fee038fe2a883cbfedc51fe5236822a62a235ad4c655f09359a57da8a40"),  # one digit short
])
def test_tampered_body_or_missing_or_bad_signature_fails(request_: WebhookRequest) -> None:
    with pytest.raises(SignatureError):
        facebook.verify(request_, SECRET)


def test_handshake_is_the_same_as_whatsapp() -> None:
    request = WebhookRequest.build("GET", URL + "?hub.mode=subscribe&hub.challenge=42&hub.verify_token=meatyhamhock")
    assert facebook.handshake(request, SECRET).body == b"42"
    with pytest.raises(SignatureError):
        facebook.handshake(WebhookRequest.build("GET", request.url.replace("meatyhamhock", "x")), SECRET)


def test_fixture_parses_to_one_message_from_the_psid_to_the_page() -> None:
    parsed = facebook.parse(post(HELLO_FILE))
    (message,) = parsed.messages
    assert (message.provider_message_id, message.sender_handle, message.text) == ("external_id", "5678", "Hello World")
    assert message.channel_account == "1234567890"
    assert message.conversation_ref == {"page_id": "1234567890"}
    assert message.sent_at == datetime(2016, 4, 7, 1, 11, 27, 970000, tzinfo=UTC)


def test_duplicate_entry_gives_the_message_twice_for_the_database_to_dedupe() -> None:
    # courier fba/duplicate_msg.json: the same entry object twice
    doc = json.loads(HELLO_FILE)
    doc["entry"] = doc["entry"] * 2
    assert [m.provider_message_id for m in facebook.parse(post(json.dumps(doc).encode())).messages] == [
        "external_id", "external_id"]


def test_several_events_in_one_entry_keep_their_order() -> None:
    body = page(event(message={"mid": "m_1", "text": "first"}), event(message={"mid": "m_2", "text": "second"}))
    assert [m.text for m in facebook.parse(post(body)).messages] == ["first", "second"]


def test_attachments_quick_replies_and_stickers() -> None:
    message = {"mid": "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c", "attachments": [
        {"type": "image", "payload": {"url": "https://cdn.example/a.jpg"}},
        {"type": "file", "payload": {"url": "https://cdn.example/b.pdf"}},
        {"type": "image", "payload": {"url": "https://cdn.example/like.png", "sticker_id": 369239263222822}},
        {"type": "location", "title": "Pin", "payload": {"coordinates": {"lat": 52.52, "long": 13.405}}},
    ]}
    (parsed,) = facebook.parse(post(page(event(message=message)))).messages
    assert parsed.text == ""
    assert parsed.attachments == (
        Attachment(kind="image", url="https://cdn.example/a.jpg"),
        Attachment(kind="file", url="https://cdn.example/b.pdf"),
        Attachment(kind="sticker", url="https://cdn.example/like.png", media_id="369239263222822"),
        Attachment(kind="location", url="geo:52.52,13.405", name="Pin"),
    )
    quick = event(message={"mid": "m_q", "text": "Red", "quick_reply": {"payload": "RED"}})
    assert facebook.parse(post(page(quick))).messages[0].text == "Red"


def test_delivery_with_mids_gives_receipts_and_a_watermark_read_gives_a_watermark() -> None:
    body = page(event(delivery={"mids": ["m_OURS1", "m_OURS2"], "watermark": 1700000005000}),
                event(read={"watermark": 1700000009000}))
    parsed = facebook.parse(post(body))
    at = datetime.fromtimestamp(1700000005, UTC)
    assert parsed.receipts == (DeliveryReceipt("m_OURS1", "delivered", at), DeliveryReceipt("m_OURS2", "delivered", at))
    assert parsed.watermarks == (
        Watermark(handle="PSID1", state="delivered", up_to=at, channel_account="PAGE1"),
        Watermark(handle="PSID1", state="read", up_to=datetime.fromtimestamp(1700000009, UTC), channel_account="PAGE1"),
    )
    assert parsed.messages == ()


def test_delivery_without_mids_is_a_watermark_only() -> None:
    parsed = facebook.parse(post(page(event(delivery={"watermark": 1700000005000}))))
    assert (parsed.receipts, len(parsed.watermarks)) == ((), 1)


def test_echoes_postbacks_reactions_and_standby_are_ignored() -> None:
    body = json.loads(page(
        event(message={"mid": "m_echo", "text": "from us", "is_echo": True, "app_id": 1}),
        event(postback={"title": "Get Started", "payload": "START", "mid": "m_pb"}),
        event(reaction={"mid": "m_OURS1", "action": "react", "emoji": "❤"}),
    ))
    body["entry"][0]["standby"] = [event(message={"mid": "m_standby", "text": "x"})]
    parsed = facebook.parse(post(json.dumps(body).encode()))
    assert (parsed.messages, parsed.receipts, parsed.ignored) == ((), (), 4)


@pytest.mark.parametrize("body", [
    b"",
    b"{",
    b'{"object":"whatsapp_business_account","entry":[]}',
    b'{"object":"page","entry":[{"messaging":{}}]}',
    page(event(message={"text": "no mid"})),
    page({"recipient": {"id": "PAGE1"}, "message": {"mid": "m_1", "text": "no sender"}}),
    page(event(read={})),
    page(event(message={"mid": "m_1", "attachments": ["x"]})),
    page(event(sender="PSID1", message={"mid": "m_1"})),
])
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        facebook.parse(post(body))


def test_outbound_is_a_send_api_response_from_the_page() -> None:
    (message,) = facebook.parse(post(HELLO_FILE)).messages
    request = facebook.outbound(message.sender_handle, "Hi!", message.conversation_ref, message.channel_account)
    assert request == {
        "method": "POST",
        "url": "https://graph.facebook.com/v21.0/1234567890/messages",
        "headers": {"Content-Type": "application/json"},
        "json": {"recipient": {"id": "5678"}, "messaging_type": "RESPONSE", "message": {"text": "Hi!"}},
    }
    assert facebook.success_answer(facebook.parse(post(HELLO_FILE))).status == 200
