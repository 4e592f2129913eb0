"""Twilio SMS adapter against twilio-python's own RequestValidator vectors and a captured Twilio form post."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from server.channels import ADAPTERS, Attachment, ChannelSecret, PayloadError, SignatureError, WebhookRequest
from server.channels.sms import compute_signature

sms = ADAPTERS["sms"]
TOKEN = ChannelSecret(secret="12345")

# twilio/twilio-python tests/unit/test_request_validator.py
URI = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212"),
          ("Caller", "+14158675309")]
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
DUPLICATE_PARAMS = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
DUPLICATE_EXPECTED = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"

# nyaruka/courier handlers/twiml/handlers_test.go receiveValid; signature computed for this URL with token 12345
COURIER_BODY = (b"ToCountry=US&ToState=District+Of+Columbia&SmsMessageSid=SMe287d7109a5a925f182f0e07fe5b223b&NumMedia=0"
                b"&ToCity=&FromZip=01022&SmsSid=SMe287d7109a5a925f182f0e07fe5b223b&FromState=MA&SmsStatus=received"
                b"&FromCity=CHICOPEE&Body=Msg&FromCountry=US&To=%2B12028831111&ToZip=&NumSegments=1"
                b"&MessageSid=SMe287d7109a5a925f182f0e07fe5b223b&AccountSid=acctid&From=%2B14133881111"
                b"&ApiVersion=2010-04-01")
COURIER_URL = "https://example.com/webhooks/twilio/sms"
COURIER_SIGNATURE = "N3ocix4eRv+viXmUSuXTAXZqhjA="


def post(url: str, body: bytes, signature: str | None) -> WebhookRequest:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return WebhookRequest.build("POST", url, headers, body)


def test_signature_matches_twilio_python_vector() -> None:
    assert compute_signature("12345", URI, PARAMS) == EXPECTED
    sms.verify(post(URI, urlencode(PARAMS).encode(), EXPECTED), TOKEN)


def test_repeated_keys_are_signed_name_plus_value_for_each_sorted_value_as_twilio_python_does() -> None:
    assert compute_signature("12345", URI, DUPLICATE_PARAMS) == DUPLICATE_EXPECTED
    sms.verify(post(URI, urlencode(DUPLICATE_PARAMS).encode(), DUPLICATE_EXPECTED), TOKEN)
    # courier's variant (the name once, then all values) is not what Twilio signs
    with pytest.raises(SignatureError):
        sms.verify(post(URI, urlencode(DUPLICATE_PARAMS).encode(), "S3ueNETMBDcqkno68GAuITdAPA0="), TOKEN)


@pytest.mark.parametrize(("url", "signature"), [
    ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", EXPECTED),  # removes the port on https
    ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),  # http with its port
    (URI, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # adds :443 on https
    ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # adds :80 on http
])
def test_url_is_accepted_with_and_without_its_port_as_twilio_signs_either(url: str, signature: str) -> None:
    sms.verify(post(url, urlencode(PARAMS).encode(), signature), TOKEN)


def test_json_body_variant_checks_body_sha256_and_signs_the_url_alone() -> None:
    url = f"{URI}&bodySHA256={JSON_HASH}"
    request = WebhookRequest.build("POST", url, {"X-Twilio-Signature": "a9nBmqA0ju/hNViExpshrM61xv4="}, JSON_BODY)
    sms.verify(request, TOKEN)
    tampered = WebhookRequest.build("POST", url, {"X-Twilio-Signature": "a9nBmqA0ju/hNViExpshrM61xv4="},
                                    JSON_BODY.replace(b"true", b"false"))
    with pytest.raises(SignatureError, match="bodySHA256"):
        sms.verify(tampered, TOKEN)
    assert sms.parse(request).ignored == 1


def test_captured_twilio_post_verifies_and_parses_to_one_message() -> None:
    request = post(COURIER_URL, COURIER_BODY, COURIER_SIGNATURE)
    sms.verify(request, TOKEN)
    parsed = sms.parse(request)
    assert parsed.receipts == ()
    (message,) = parsed.messages
    assert message.provider_message_id == "SMe287d7109a5a925f182f0e07fe5b223b"
    assert (message.sender_handle, message.text, message.channel_account) == ("+14133881111", "Msg", "+12028831111")
    assert message.conversation_ref == {"account_sid": "acctid", "to": "+12028831111"}
    assert message.attachments == ()


def test_blank_values_are_part_of_the_signature() -> None:
    without_blanks = "&".join(p for p in COURIER_BODY.decode().split("&") if not p.endswith("=")).encode()
    with pytest.raises(SignatureError):
        sms.verify(post(COURIER_URL, without_blanks, COURIER_SIGNATURE), TOKEN)


@pytest.mark.parametrize("change", [
    lambda r: post(r.url, r.body.replace(b"Body=Msg", b"Body=Msh"), COURIER_SIGNATURE),  # tampered body
    lambda r: post(r.url + "?x=1", r.body, COURIER_SIGNATURE),  # another URL
    lambda r: post(r.url, r.body, "N3ocix4eRv+viXmUSuXTAXZqhjB="),  # wrong signature
    lambda r: post(r.url, r.body, None),  # missing header
    lambda r: post(r.url, r.body, "é"),  # not even ASCII
])
def test_anything_changed_fails_verification(change) -> None:
    with pytest.raises(SignatureError):
        sms.verify(change(post(COURIER_URL, COURIER_BODY, COURIER_SIGNATURE)), TOKEN)


def test_wrong_token_fails_verification() -> None:
    with pytest.raises(SignatureError):
        sms.verify(post(COURIER_URL, COURIER_BODY, COURIER_SIGNATURE), ChannelSecret(secret="54321"))


def test_get_webhook_signs_the_url_with_its_query() -> None:
    url = COURIER_URL + "?" + COURIER_BODY.decode()
    signature = compute_signature("12345", url, [])
    request = WebhookRequest.build("GET", url, {"X-Twilio-Signature": signature})
    sms.verify(request, TOKEN)
    assert sms.parse(request).messages[0].provider_message_id == "SMe287d7109a5a925f182f0e07fe5b223b"


def test_mms_with_two_media_gives_two_attachments() -> None:
    # chatwoot spec/services/twilio/incoming_message_service_spec.rb
    form = {"SmsSid": "SMxx", "From": "+12345", "AccountSid": "ACxxx", "MessagingServiceSid": "MGxx",
            "Body": "testing multiple media", "NumMedia": "2",
            "MediaContentType0": "image/png", "MediaUrl0": "https://chatwoot-assets.local/sample.png",
            "MediaContentType1": "image/jpeg", "MediaUrl1": "https://chatwoot-assets.local/sample.jpg"}
    (message,) = sms.parse(post(COURIER_URL, urlencode(form).encode(), None)).messages
    assert message.provider_message_id == "SMxx"
    assert message.text == "testing multiple media"
    assert message.attachments == (
        Attachment(kind="image", url="https://chatwoot-assets.local/sample.png", mime_type="image/png"),
        Attachment(kind="image", url="https://chatwoot-assets.local/sample.jpg", mime_type="image/jpeg"),
    )


def test_location_message_and_whatsapp_profile_name() -> None:
    form = {"MessageSid": "SM1", "From": "whatsapp:+14155238886", "To": "whatsapp:+15005550006", "Body": "",
            "NumMedia": "0", "MessageType": "location", "Latitude": "12.160894393921", "Longitude": "76.61939239502",
            "ProfileName": "Alice"}
    (message,) = sms.parse(post(COURIER_URL, urlencode(form).encode(), None)).messages
    assert message.sender_name == "Alice"
    assert message.text == ""
    assert message.attachments == (Attachment(kind="location", url="geo:12.160894393921,76.61939239502"),)


@pytest.mark.parametrize(("status", "state"), [("sent", "sent"), ("delivered", "delivered"), ("read", "read"),
                                               ("failed", "failed"), ("undelivered", "failed")])
def test_status_callback_is_a_receipt_for_our_message(status: str, state: str) -> None:
    form = {"MessageSid": "SMout1", "MessageStatus": status, "AccountSid": "AC1", "From": "+1500", "To": "+1415"}
    if status == "undelivered":
        form |= {"ErrorCode": "30003", "ErrorMessage": "Unreachable destination handset"}
    parsed = sms.parse(post(COURIER_URL, urlencode(form).encode(), None))
    assert parsed.messages == ()
    (receipt,) = parsed.receipts
    assert (receipt.provider_message_id, receipt.state) == ("SMout1", state)
    assert receipt.error == ("30003: Unreachable destination handset" if status == "undelivered" else None)


def test_queued_status_is_understood_and_ignored() -> None:
    parsed = sms.parse(post(COURIER_URL, b"MessageSid=SMout1&MessageStatus=queued", None))
    assert (parsed.messages, parsed.receipts, parsed.ignored) == ((), (), 1)


@pytest.mark.parametrize("body", [
    b"From=%2B1&Body=hi",  # no MessageSid
    b"MessageSid=SM1&Body=hi",  # no From
    b"MessageSid=SM1&From=%2B1&NumMedia=two",
    "MessageSid=SM1&From=+1&Body=é".encode(),  # a raw non-ASCII byte is not a form post
    b"x" * (64 * 1024 + 1),
])
def test_malformed_form_is_a_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        sms.parse(post(COURIER_URL, body, None))


def test_success_answer_is_empty_twiml() -> None:
    answer = sms.success_answer(sms.parse(post(COURIER_URL, COURIER_BODY, None)))
    assert (answer.status, answer.content_type) == (200, "text/xml")
    assert answer.body == b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert sms.handshake(post(COURIER_URL, COURIER_BODY, None), TOKEN) is None


def test_outbound_is_a_messages_api_form_post_from_our_number_without_credentials() -> None:
    (message,) = sms.parse(post(COURIER_URL, COURIER_BODY, None)).messages
    request = sms.outbound(message.sender_handle, "Hello back", message.conversation_ref, message.channel_account)
    assert request == {
        "method": "POST",
        "url": "https://api.twilio.com/2010-04-01/Accounts/acctid/Messages.json",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "form": {"To": "+14133881111", "Body": "Hello back", "From": "+12028831111"},
    }
    assert dict(parse_qsl(urlencode(request["form"]))) == request["form"]


def test_outbound_without_our_number_uses_the_messaging_service() -> None:
    request = sms.outbound("+1415", "hi", {"account_sid": "AC1", "messaging_service_sid": "MG1"}, None)
    assert request["form"] == {"To": "+1415", "Body": "hi", "MessagingServiceSid": "MG1"}
