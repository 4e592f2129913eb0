"""WeChat adapter: the official signature examples, the echostr handshake, the documented XML pushes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.channels import ADAPTERS, Attachment, ChannelSecret, PayloadError, SignatureError, WebhookRequest
from server.channels.wechat import sign

wechat = ADAPTERS["wechat"]

# developers.weixin.qq.com message_push example: URL https://www.qq.com/revice, Token AAAAA
HANDSHAKE_URL = ("https://www.qq.com/revice?signature=f464b24fc39322e44b38aa78f5edd27bd1441696"
                 "&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492")
# doc/subscription/guide/dev/push/encryption.md: the plaintext POST and its JSON body
PUSH_URL = "https://www.qq.com/recive?signature=899cf89e464efb63f54ddac96b0a0a235f53aa78&timestamp=1714037059&nonce=486452656"
PUSH_JSON = b"""{
    "ToUserName": "gh_97417a04a28d",
    "FromUserName": "o9AgO5Kd5ggOC-bXrbNODIiE3bGY",
    "CreateTime": 1714037059,
    "MsgType": "event",
    "Event": "debug_demo",
    "debug_str": "hello world"
}"""
TOKEN = ChannelSecret(secret="AAAAA")
# the official "receive a normal message" text sample
TEXT_XML = b"""<xml>
<ToUserName><![CDATA[toUser]]></ToUserName>
<FromUserName><![CDATA[fromUser]]></FromUserName>
<CreateTime>1348831860</CreateTime>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[this is a test]]></Content>
<MsgId>1234567890123456</MsgId>
<MsgDataId>xxxx</MsgDataId>
<Idx>xxxx</Idx>
</xml>"""


def push(body: bytes, url: str = PUSH_URL) -> WebhookRequest:
    return WebhookRequest.build("POST", url, {"Content-Type": "text/xml"}, body)


def xml(**fields: str) -> bytes:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oOPENID]]></FromUserName>" \
           f"<CreateTime>1348831860</CreateTime>{inner}</xml>".encode()


def test_signature_vectors() -> None:
    assert sign("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert sign("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert sign("test", "1410685589", "test") == "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"  # wechatpy


def test_handshake_answers_echostr_when_signed() -> None:
    answer = wechat.handshake(WebhookRequest.build("GET", HANDSHAKE_URL), TOKEN)
    assert (answer.status, answer.content_type, answer.body) == (200, "text/plain", b"4375120948345356249")


@pytest.mark.parametrize("url", [
    HANDSHAKE_URL.replace("f464b24f", "f464b24e"),  # wrong signature
    HANDSHAKE_URL.replace("nonce=1514711492", "nonce=1514711493"),  # another nonce
    HANDSHAKE_URL.replace("&timestamp=1714036504", ""),  # missing timestamp
    HANDSHAKE_URL.replace("signature=f464b24fc39322e44b38aa78f5edd27bd1441696&", ""),  # missing signature
])
def test_handshake_with_a_bad_or_incomplete_signature_fails(url: str) -> None:
    with pytest.raises(SignatureError):
        wechat.handshake(WebhookRequest.build("GET", url), TOKEN)


def test_handshake_refuses_an_echostr_that_is_not_a_plain_token_and_ignores_other_requests() -> None:
    url = "https://www.qq.com/revice?signature={}&echostr=%3Cb%3E&timestamp=1&nonce=2".format(sign("AAAAA", "1", "2"))
    with pytest.raises(PayloadError):
        wechat.handshake(WebhookRequest.build("GET", url), TOKEN)
    assert wechat.handshake(push(TEXT_XML), TOKEN) is None
    assert wechat.handshake(WebhookRequest.build("GET", PUSH_URL), TOKEN) is None


def test_documented_plaintext_push_verifies_and_its_event_is_ignored() -> None:
    request = push(PUSH_JSON)
    wechat.verify(request, TOKEN)
    parsed = wechat.parse(request)
    assert (parsed.messages, parsed.ignored) == ((), 1)
    assert wechat.success_answer(parsed).body == b"success"


def test_wrong_token_fails_and_the_body_is_not_covered_by_the_signature() -> None:
    with pytest.raises(SignatureError):
        wechat.verify(push(PUSH_JSON), ChannelSecret(secret="BBBBB"))
    # documented weakness of plaintext mode: another body under the same query still verifies
    wechat.verify(push(TEXT_XML), TOKEN)


def test_text_message_sample_parses_with_msgid_as_key() -> None:
    (message,) = wechat.parse(push(TEXT_XML)).messages
    assert message.provider_message_id == "1234567890123456"
    assert (message.sender_handle, message.channel_account, message.text) == ("fromUser", "toUser", "this is a test")
    assert message.sent_at == datetime(2012, 9, 28, 11, 31, 0, tzinfo=UTC)  # CreateTime is in seconds
    assert message.conversation_ref == {"to_user_name": "toUser"}


def test_text_keeps_its_whitespace_and_markup_as_text() -> None:
    (message,) = wechat.parse(push(xml(MsgType="text", Content="  <b>hi</b> & 你好 \n", MsgId="1"))).messages
    assert message.text == "  <b>hi</b> & 你好 \n"


@pytest.mark.parametrize(("fields", "text", "attachment"), [
    ({"MsgType": "image", "PicUrl": "http://mmbiz.qpic.cn/x", "MediaId": "media_1", "MsgId": "2"},
     "", Attachment(kind="image", url="http://mmbiz.qpic.cn/x", media_id="media_1")),
    ({"MsgType": "voice", "MediaId": "media_2", "Format": "amr", "Recognition": "你好", "MsgId": "3"},
     "你好", Attachment(kind="audio", media_id="media_2", mime_type="audio/amr")),
    ({"MsgType": "video", "MediaId": "media_3", "ThumbMediaId": "thumb", "MsgId": "4"},
     "", Attachment(kind="video", media_id="media_3")),
    ({"MsgType": "shortvideo", "MediaId": "media_4", "ThumbMediaId": "thumb", "MsgId": "5"},
     "", Attachment(kind="video", media_id="media_4")),
    ({"MsgType": "location", "Location_X": "23.134521", "Location_Y": "113.358803", "Scale": "20",
      "Label": "位置信息", "MsgId": "6"},
     "", Attachment(kind="location", url="geo:23.134521,113.358803", name="位置信息")),
    ({"MsgType": "link", "Title": "公众平台官网链接", "Description": "公众平台官网链接", "Url": "https://mp.weixin.qq.com",
      "MsgId": "7"},
     "公众平台官网链接", Attachment(kind="link", url="https://mp.weixin.qq.com", name="公众平台官网链接")),
])
def test_non_text_messages_are_attachments(fields: dict, text: str, attachment: Attachment) -> None:
    (message,) = wechat.parse(push(xml(**fields))).messages
    assert (message.text, message.attachments, message.provider_message_id) == (text, (attachment,), fields["MsgId"])


def test_subscribe_event_is_ignored() -> None:
    parsed = wechat.parse(push(xml(MsgType="event", Event="subscribe")))
    assert (parsed.messages, parsed.ignored) == ((), 1)


def test_a_retried_push_parses_to_the_same_key() -> None:
    first, again = (wechat.parse(push(TEXT_XML)).messages[0] for _ in range(2))
    assert first.provider_message_id == again.provider_message_id == "1234567890123456"


@pytest.mark.parametrize("body", [
    b"",
    b"<xml><MsgType>text</MsgType>",  # not well-formed
    b"<notxml><MsgType>text</MsgType></notxml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
    xml(MsgType="text", Content="no id"),
    b"<xml><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",  # no FromUserName
    b"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[RgqEoJj5A4EM]]></Encrypt></xml>",  # safe mode
    b"<xml><FromUserName>o</FromUserName></xml>",  # no MsgType
    b'{"MsgType": "text", "FromUserName": "o"',
])
def test_malformed_bodies_are_payload_errors(body: bytes) -> None:
    with pytest.raises(PayloadError):
        wechat.parse(push(body))


def test_outbound_is_a_customer_service_text_message_without_the_access_token() -> None:
    (message,) = wechat.parse(push(TEXT_XML)).messages
    request = wechat.outbound(message.sender_handle, "收到", message.conversation_ref, message.channel_account)
    assert request == {
        "method": "POST",
        "url": "https://api.weixin.qq.com/cgi-bin/message/custom/send",
        "headers": {"Content-Type": "application/json"},
        "json": {"touser": "fromUser", "msgtype": "text", "text": {"content": "收到"}},
    }
