"""LINE adapter: the SDK's signature vector, the first event of its webhook fixture, redeliveries, event types."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from server.channels import ADAPTERS, Attachment, ChannelSecret, PayloadError, SignatureError, WebhookRequest
from server.channels.line import sign

line = ADAPTERS["line"]
SECRET = ChannelSecret(secret="channel_secret")
URL = "https://casework.example/api/channels/line"

# line/line-bot-sdk-python tests/test_signature.py
SDK_BODY, SDK_SIGNATURE = b"bodybodybodybody", "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k="
# the first event of tests/v3/text/webhook.json, compact, and its signature (reference section 1.4)
FIRST_EVENT = (b'{"destination":"U123","events":[{"replyToken":"nHuyWiB7yP5Zw52FIkcQobQuGDXCTA","type":"message",'
               b'"mode":"active","timestamp":1462629479859,"source":{"type":"user","userId":'
               b'"U206d25c2ea6bd87c17655609a1c37cb8"},"webhookEventId":"testwebhookeventid","deliveryContext":'
               b'{"isRedelivery":false},"message":{"id":"325708","type":"text","text":"Hello, world",'
               b'"quoteToken":"quoteToken"}}]}')
FIRST_EVENT_SIGNATURE = "aWjYJ8WAAfXBvxavGH7cuHymK04Ve6Whb18yYHNiP/w="
USER = "U206d25c2ea6bd87c17655609a1c37cb8"


def post(body: bytes, signature: str | None = None) -> WebhookRequest:
    headers = {} if signature is None else {"X-Line-Signature": signature}
    return WebhookRequest.build("POST", URL, headers, body)


def events(*items: dict) -> bytes:
    return json.dumps({"destination": "U123", "events": list(items)}).encode()


def message_event(message: dict, *, source: dict | None = None, redelivery: bool = False,
                  event_id: str = "01H0EVENT") -> dict:
    return {"type": "message", "mode": "active", "timestamp": 1462629479859, "replyToken": "rt",
            "source": source or {"type": "user", "userId": USER}, "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": redelivery}, "message": message}


def test_sdk_signature_vector_and_fixture_signature_verify() -> None:
    assert sign("channel_secret", SDK_BODY) == SDK_SIGNATURE
    line.verify(post(SDK_BODY, SDK_SIGNATURE), SECRET)
    line.verify(post(FIRST_EVENT, FIRST_EVENT_SIGNATURE), SECRET)


@pytest.mark.parametrize("request_", [
    post(FIRST_EVENT.replace(b"Hello, world", b"Hello, World"), FIRST_EVENT_SIGNATURE),  # tampered body
    post(FIRST_EVENT, SDK_SIGNATURE),  # another body's signature
    post(FIRST_EVENT),  # missing header
    post(FIRST_EVENT, FIRST_EVENT_SIGNATURE.rstrip("=")),  # unpadded
])
def test_bad_or_missing_signature_fails(request_: WebhookRequest) -> None:
    with pytest.raises(SignatureError):
        line.verify(request_, SECRET)


def test_wrong_channel_secret_fails() -> None:
    with pytest.raises(SignatureError):
        line.verify(post(FIRST_EVENT, FIRST_EVENT_SIGNATURE), ChannelSecret(secret="other"))


def test_first_event_parses_with_message_id_as_key_and_event_id_apart() -> None:
    parsed = line.parse(post(FIRST_EVENT))
    (message,) = parsed.messages
    assert message.provider_message_id == "325708"
    assert message.event_id == "testwebhookeventid"
    assert (message.sender_handle, message.text, message.channel_account) == (USER, "Hello, world", "U123")
    assert message.sent_at == datetime(2016, 5, 7, 13, 57, 59, 859000, tzinfo=UTC)
    assert message.redelivery is False
    assert message.conversation_ref == {"push_to": USER, "source_type": "user",
                                        "reply_token": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"}


def test_redelivered_event_is_marked_and_keeps_the_same_message_id() -> None:
    (message,) = line.parse(post(FIRST_EVENT.replace(b'"isRedelivery":false', b'"isRedelivery":true'))).messages
    assert (message.provider_message_id, message.redelivery) == ("325708", True)


def test_duplicate_and_several_messages_in_one_payload_are_all_returned_in_order() -> None:
    body = events(message_event({"id": "1", "type": "text", "text": "a"}),
                  message_event({"id": "2", "type": "text", "text": "b"}),
                  message_event({"id": "1", "type": "text", "text": "a"}, redelivery=True))
    assert [(m.provider_message_id, m.text, m.redelivery) for m in line.parse(post(body)).messages] == [
        ("1", "a", False), ("2", "b", False), ("1", "a", True)]


def test_empty_events_is_the_endpoint_check_and_valid() -> None:
    body = b'{"destination":"U123","events":[]}'
    line.verify(post(body, sign("channel_secret", body)), SECRET)
    parsed = line.parse(post(body))
    assert (parsed.messages, parsed.ignored) == ((), 0)
    assert line.success_answer(parsed).status == 200
    assert line.handshake(post(body), SECRET) is None


def test_other_and_unknown_event_types_are_ignored_not_errors() -> None:
    base = {"mode": "active", "timestamp": 1462629479859, "source": {"type": "user", "userId": USER},
            "webhookEventId": "e", "deliveryContext": {"isRedelivery": False}}
    body = events({**base, "type": "follow", "follow": {"isUnblocked": True}},
                  {**base, "type": "postback", "postback": {"data": "action=buy"}},
                  {**base, "type": "unsend", "unsend": {"messageId": "325708"}},
                  {**base, "type": "undefined", "undefinedField": {"1": 1}})
    parsed = line.parse(post(body))
    assert (parsed.messages, parsed.ignored) == ((), 4)


@pytest.mark.parametrize(("message", "attachments"), [
    ({"id": "m1", "type": "image", "contentProvider": {"type": "external", "originalContentUrl": "https://example.com",
                                                       "previewImageUrl": "https://example.com"}},
     (Attachment(kind="image", url="https://example.com"),)),
    ({"id": "354718705033693861", "type": "image", "contentProvider": {"type": "line"},
      "imageSet": {"id": "E005D41A7288F41B655", "index": 2, "total": 2}},
     (Attachment(kind="image", media_id="354718705033693861"),)),
    ({"id": "m3", "type": "audio", "duration": 60000, "contentProvider": {"type": "line"}},
     (Attachment(kind="audio", media_id="m3"),)),
    ({"id": "m4", "type": "file", "fileName": "file.txt", "fileSize": 2138},
     (Attachment(kind="file", media_id="m4", name="file.txt"),)),
    ({"id": "m5", "type": "location", "title": "my location", "address": "Tokyo",
      "latitude": 35.65910807942215, "longitude": 139.70372892916203},
     (Attachment(kind="location", url="geo:35.65910807942215,139.70372892916203", name="my location"),)),
    ({"id": "m6", "type": "sticker", "packageId": "1", "stickerId": "1", "stickerResourceType": "STATIC",
      "keywords": ["Love You", "Love"], "text": "Just sticker"},
     (Attachment(kind="sticker", media_id="1/1", name="Just sticker"),)),
])
def test_non_text_messages_are_attachments(message: dict, attachments: tuple) -> None:
    (parsed,) = line.parse(post(events(message_event(message)))).messages
    assert (parsed.text, parsed.attachments) == ("", attachments)


def test_group_and_room_messages_reply_to_the_group_or_room() -> None:
    group = message_event({"id": "g1", "type": "text", "text": "hi"},
                          source={"type": "group", "groupId": "Ca56f94637cc4347f90a25382909b24b9", "userId": USER})
    room = message_event({"id": "r1", "type": "text", "text": "hi"},
                         source={"type": "room", "roomId": "Ra8dbf4673c4c812cd491258042226c99"})
    from_group, from_room = line.parse(post(events(group, room))).messages
    assert (from_group.sender_handle, from_group.conversation_ref["push_to"]) == (
        USER, "Ca56f94637cc4347f90a25382909b24b9")
    assert (from_room.sender_handle, from_room.conversation_ref["push_to"]) == (
        "Ra8dbf4673c4c812cd491258042226c99", "Ra8dbf4673c4c812cd491258042226c99")
    request = line.outbound(from_group.sender_handle, "hello", from_group.conversation_ref, "U123")
    assert request["json"]["to"] == "Ca56f94637cc4347f90a25382909b24b9"


@pytest.mark.parametrize("body", [
    b"",
    b'{"destination":"U123"}',
    b'{"destination":"U123","events":{}}',
    events(message_event({"type": "text", "text": "no id"})),
    events(message_event({"id": "1", "type": "text", "text": "no source"}, source={"type": "user"})),
    events({"type": "message", "source": {"type": "user", "userId": USER}}),
    events("not an event"),
])
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        line.parse(post(body))


def test_outbound_is_a_push_with_an_optional_retry_key() -> None:
    (message,) = line.parse(post(FIRST_EVENT)).messages
    request = line.outbound(message.sender_handle, "Thanks", message.conversation_ref, message.channel_account,
                            retry_key="123e4567-e89b-12d3-a456-426614174000")
    assert request == {
        "method": "POST",
        "url": "https://api.line.me/v2/bot/message/push",
        "headers": {"Content-Type": "application/json", "X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"},
        "json": {"to": USER, "messages": [{"type": "text", "text": "Thanks"}]},
    }
    assert "X-Line-Retry-Key" not in line.outbound(USER, "x", None, None)["headers"]
    with pytest.raises(ValueError):
        line.outbound(USER, "x", None, None, retry_key="not-a-uuid")
