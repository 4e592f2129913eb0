"""WhatsApp Cloud API adapter: Meta's signature over the raw bytes, the hub handshake, messages and statuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from server.channels import ADAPTERS, Attachment, ChannelSecret, PayloadError, SignatureError, WebhookRequest
from server.channels.meta import sign

whatsapp = ADAPTERS["whatsapp"]
SECRET = ChannelSecret(secret="fb_app_secret", verify_token="meatyhamhock")
URL = "https://casework.example/api/channels/whatsapp"

# nyaruka/courier handlers/meta/testdata/wac/hello.json, compact; its signature from the reference (section 1.2)
HELLO = (b'{"object":"whatsapp_business_account","entry":[{"id":"8856996819413533","changes":[{"value":'
         b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"+250 788 123 200","phone_number_id":'
         b'"1234567890"},"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"5678"}],"messages":[{"from":"5678",'
         b'"id":"external_id","timestamp":"1454119029","text":{"body":"Hello World"},"type":"text"}]},'
         b'"field":"messages"}]}]}')
HELLO_SIGNATURE = "sha256=bbd5dce70cdc1d6968c364d4b9ddae6210af1a76c994bb4e53d334ee67e1e6a7"
# Meta's classic sample
CLASSIC = (b'{"object":"whatsapp_business_account","entry":[{"id":"8856996819413533","changes":[{"value":'
           b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"16505553333","phone_number_id":'
           b'"27681414235104944"},"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],"messages":'
           b'[{"from":"16315551234","id":"wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W","timestamp":"1603059201","text":'
           b'{"body":"Hola esta es una respuesta"},"type":"text"}]},"field":"messages"}]}]}')
# a captured status (playnow.my/WAWeb/data.txt)
STATUS = (b'{"object":"whatsapp_business_account","entry":[{"id":"122951744235903","changes":[{"value":'
          b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550984277","phone_number_id":'
          b'"114896151713920"},"statuses":[{"id":"wamid.HBgLNjAxNzM1MjYyMzMVAgARGBJCNkY5NTBENEU3ODYxQTM3RUQA",'
          b'"status":"sent","timestamp":"1694492482","recipient_id":"60173526233","conversation":{"id":'
          b'"f5fdae3920125a39a1e6a23e5f877c16","expiration_timestamp":"1694505360","origin":{"type":"utility"}},'
          b'"pricing":{"billable":true,"pricing_model":"CBP","category":"utility"}}]},"field":"messages"}]}]}')


def post(body: bytes, signature: str | None = None) -> WebhookRequest:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return WebhookRequest.build("POST", URL, headers, body)


def payload(*values: dict, field: str = "messages") -> bytes:
    changes = [{"value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "PN1"}, **v},
                "field": field} for v in values]
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "W1", "changes": changes}]}).encode()


def one_message(raw: dict) -> dict:
    return {"contacts": [{"profile": {"name": "Ana"}, "wa_id": "34600"}],
            "messages": [{"from": "34600", "id": "wamid.X", "timestamp": "1700000000", **raw}]}


def test_signature_vector_verifies() -> None:
    assert sign("fb_app_secret", HELLO) == HELLO_SIGNATURE
    whatsapp.verify(post(HELLO, HELLO_SIGNATURE), SECRET)
    whatsapp.verify(post(HELLO, HELLO_SIGNATURE.upper().replace("SHA256=", "sha256=")), SECRET)


@pytest.mark.parametrize("request_", [
    post(HELLO, "sha256=" + "0" * 64),  # wrong signature
    post(HELLO.replace(b"Hello World", b"Hello Word!"), HELLO_SIGNATURE),  # tampered body
    post(json.dumps(json.loads(HELLO)).encode(), HELLO_SIGNATURE),  # the same JSON re-serialised
    post(HELLO),  # missing header
    post(HELLO, HELLO_SIGNATURE[7:]),  # no sha256= prefix
    post(HELLO, "sha1=" + "0" * 40),  # the legacy header's scheme
])
def test_bad_missing_or_reserialised_signature_fails(request_: WebhookRequest) -> None:
    with pytest.raises(SignatureError):
        whatsapp.verify(request_, SECRET)


def test_wrong_app_secret_fails() -> None:
    with pytest.raises(SignatureError):
        whatsapp.verify(post(HELLO, HELLO_SIGNATURE), ChannelSecret(secret="another_secret"))


def test_hub_handshake_echoes_the_challenge_for_the_right_verify_token() -> None:
    query = "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
    good = WebhookRequest.build("GET", URL + query)
    answer = whatsapp.handshake(good, SECRET)
    assert (answer.status, answer.content_type, answer.body) == (200, "text/plain", b"1158201444")
    with pytest.raises(SignatureError):
        whatsapp.handshake(WebhookRequest.build("GET", good.url.replace("meatyhamhock", "wrong")), SECRET)
    with pytest.raises(SignatureError):  # no verify token configured: nothing can pass
        whatsapp.handshake(good, ChannelSecret(secret="fb_app_secret"))
    with pytest.raises(PayloadError):  # a challenge that is not a plain token is not reflected
        whatsapp.handshake(WebhookRequest.build("GET", good.url.replace("1158201444", "%3Cscript%3E")), SECRET)
    assert whatsapp.handshake(post(HELLO, HELLO_SIGNATURE), SECRET) is None
    assert whatsapp.handshake(WebhookRequest.build("GET", URL), SECRET) is None


def test_courier_hello_parses_to_one_text_message() -> None:
    parsed = whatsapp.parse(post(HELLO))
    (message,) = parsed.messages
    assert message.provider_message_id == "external_id"
    assert (message.sender_handle, message.sender_name, message.text) == ("5678", "Kerry Fisher", "Hello World")
    assert message.sent_at == datetime(2016, 1, 30, 1, 57, 9, tzinfo=UTC)
    assert message.channel_account == "1234567890"
    assert message.conversation_ref == {"phone_number_id": "1234567890", "display_phone_number": "+250 788 123 200"}
    assert (parsed.receipts, parsed.ignored) == ((), 0)


def test_meta_classic_sample_gives_its_wamid() -> None:
    (message,) = whatsapp.parse(post(CLASSIC)).messages
    assert message.provider_message_id == "wamid.ABGGFlCGg0cvAgo-sJQh43L5Pe4W"
    assert message.text == "Hola esta es una respuesta"


def test_duplicate_inside_one_payload_is_returned_twice_for_the_database_to_dedupe() -> None:
    # courier wac/duplicate.json: the identical message object twice in messages[]
    doc = json.loads(HELLO)
    value = doc["entry"][0]["changes"][0]["value"]
    value["messages"] = value["messages"] * 2
    messages = whatsapp.parse(post(json.dumps(doc).encode())).messages
    assert [m.provider_message_id for m in messages] == ["external_id", "external_id"]


def test_several_entries_changes_messages_and_statuses_in_one_payload() -> None:
    first = one_message({"type": "text", "text": {"body": "one"}})
    first["messages"].append({"from": "34600", "id": "wamid.Y", "timestamp": "1700000001", "type": "text",
                              "text": {"body": "two"}})
    status = {"statuses": [{"id": "wamid.OURS", "status": "delivered", "timestamp": "1700000002",
                            "recipient_id": "34600"}]}
    doc = json.loads(payload(first, status))
    doc["entry"].append(json.loads(payload(one_message({"id": "wamid.Z", "type": "text", "text": {"body": "3"}})))
                        ["entry"][0])
    parsed = whatsapp.parse(post(json.dumps(doc).encode()))
    assert [(m.provider_message_id, m.text) for m in parsed.messages] == [("wamid.X", "one"), ("wamid.Y", "two"),
                                                                          ("wamid.Z", "3")]
    assert [(r.provider_message_id, r.state) for r in parsed.receipts] == [("wamid.OURS", "delivered")]


def test_captured_status_is_a_sent_receipt() -> None:
    parsed = whatsapp.parse(post(STATUS))
    assert parsed.messages == ()
    (receipt,) = parsed.receipts
    assert receipt.provider_message_id == "wamid.HBgLNjAxNzM1MjYyMzMVAgARGBJCNkY5NTBENEU3ODYxQTM3RUQA"
    assert (receipt.state, receipt.at, receipt.error) == ("sent", datetime.fromtimestamp(1694492482, UTC), None)


def test_failed_status_carries_its_error_and_unknown_states_are_ignored() -> None:
    statuses = {"statuses": [
        {"id": "wamid.A", "status": "failed", "timestamp": "1700000000",
         "errors": [{"code": 131047, "title": "Re-engagement message"}]},
        {"id": "wamid.B", "status": "deleted", "timestamp": "1700000000"},
    ]}
    parsed = whatsapp.parse(post(payload(statuses)))
    assert [(r.provider_message_id, r.state, r.error) for r in parsed.receipts] == [
        ("wamid.A", "failed", "131047: Re-engagement message")]
    assert parsed.ignored == 1


@pytest.mark.parametrize(("raw", "text", "attachments"), [
    ({"type": "image", "image": {"id": "MEDIA1", "mime_type": "image/jpeg", "sha256": "x", "caption": "look"}},
     "look", (Attachment(kind="image", media_id="MEDIA1", mime_type="image/jpeg"),)),
    ({"type": "document", "document": {"id": "MEDIA2", "mime_type": "application/pdf", "filename": "bill.pdf"}},
     "", (Attachment(kind="file", media_id="MEDIA2", mime_type="application/pdf", name="bill.pdf"),)),
    ({"type": "audio", "audio": {"id": "MEDIA3", "mime_type": "audio/ogg; codecs=opus", "voice": True}},
     "", (Attachment(kind="audio", media_id="MEDIA3", mime_type="audio/ogg; codecs=opus"),)),
    ({"type": "sticker", "sticker": {"id": "MEDIA4", "mime_type": "image/webp", "animated": False}},
     "", (Attachment(kind="sticker", media_id="MEDIA4", mime_type="image/webp"),)),
    ({"type": "location", "location": {"latitude": 41.3874, "longitude": 2.1686, "name": "Barcelona"}},
     "", (Attachment(kind="location", url="geo:41.3874,2.1686", name="Barcelona"),)),
    ({"type": "contacts", "contacts": [{"name": {"formatted_name": "John Smith"}, "phones": [{"phone": "+1"}]}]},
     "", (Attachment(kind="contacts", name="John Smith"),)),
    ({"type": "button", "button": {"payload": "YES", "text": "Yes, please"}}, "Yes, please", ()),
    ({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {"id": "r1", "title": "Refund"}}},
     "Refund", ()),
    ({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "b", "title": "OK"}}},
     "OK", ()),
    ({"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
     "", (Attachment(kind="unsupported"),)),
])
def test_non_text_messages_become_attachments_or_text(raw: dict, text: str, attachments: tuple) -> None:
    (message,) = whatsapp.parse(post(payload(one_message(raw)))).messages
    assert (message.text, message.attachments) == (text, attachments)
    assert (message.provider_message_id, message.sender_name) == ("wamid.X", "Ana")


def test_reactions_echoes_and_other_fields_are_ignored() -> None:
    reaction = one_message({"type": "reaction", "reaction": {"message_id": "wamid.OURS", "emoji": "👍"}})
    parsed = whatsapp.parse(post(payload(reaction)))
    assert (parsed.messages, parsed.ignored) == ((), 1)
    echoes = whatsapp.parse(post(payload({"message_echoes": [{"id": "wamid.E"}]}, field="smb_message_echoes")))
    assert (echoes.messages, echoes.ignored) == ((), 1)


def test_bsuid_sender_without_phone_number() -> None:
    raw = {"contacts": [{"profile": {"name": "Bo"}, "user_id": "IN.2081978709342942"}],
           "messages": [{"from_user_id": "IN.2081978709342942", "id": "wamid.B", "timestamp": "1700000000",
                         "type": "text", "text": {"body": "hi"}}]}
    (message,) = whatsapp.parse(post(payload(raw))).messages
    assert (message.sender_handle, message.sender_name) == ("IN.2081978709342942", "Bo")


@pytest.mark.parametrize("body", [
    b"not json",
    b"[]",
    b'{"object":"page","entry":[]}',
    b'{"object":"whatsapp_business_account","entry":{}}',
    b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":[]}]}]}',
    payload({"messages": [{"from": "1", "type": "text", "text": {"body": "no id"}}]}),
    payload({"messages": [{"id": "wamid.N", "type": "text", "text": {"body": "no sender"}}]}),
    payload({"messages": ["a string"]}),
    b'{"object":"whatsapp_business_account","entry":' + b"[" * 100 + b"]" * 100 + b"}",
    b'{"object":"whatsapp_business_account","pad":"' + b"x" * 65536 + b'"}',
    b'{"object":"whatsapp_business_account","entry":[],"x":"\xff"}',
])
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        whatsapp.parse(post(body))


def test_success_answer_and_outbound_graph_request() -> None:
    answer = whatsapp.success_answer(whatsapp.parse(post(HELLO)))
    assert (answer.status, answer.content_type) == (200, "application/json")
    (message,) = whatsapp.parse(post(HELLO)).messages
    request = whatsapp.outbound(message.sender_handle, "Thanks!", message.conversation_ref, message.channel_account)
    assert request == {
        "method": "POST",
        "url": "https://graph.facebook.com/v21.0/1234567890/messages",
        "headers": {"Content-Type": "application/json"},
        "json": {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5678", "type": "text",
                 "text": {"preview_url": False, "body": "Thanks!"}},
    }
