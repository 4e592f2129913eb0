"""Teams adapter: the Bot Framework JWT checked with PyJWT against a generated key set, and the documented Activity."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from server.channels import ADAPTERS, Attachment, ChannelSecret, PayloadError, SignatureError, WebhookRequest
from server.channels.teams import generate_demo_keyset, sign_demo_token

teams = ADAPTERS["teams"]
APP_ID = "c9e8c047-2a74-40a2-b28a-b162d5f5327c"
ISSUER = "https://api.botframework.com"
SERVICE_URL = "https://smba.trafficmanager.net/amer/"
URL = "https://casework.example/api/channels/teams"
CONVERSATION = ("a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHS"
                "gGBj5XNYLcVlJAs2ZX8DbYBPck201w-")
FROM = "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw"
# MicrosoftDocs/msteams-docs bots-conversations.md: the full inbound schema example
ACTIVITY = {
    "type": "message",
    "id": "1485983408511",
    "timestamp": "2017-02-01T21:10:07.437Z",
    "localTimestamp": "2017-02-01T14:10:07.437-07:00",
    "serviceUrl": SERVICE_URL,
    "channelId": "msteams",
    "from": {"id": FROM, "name": "Megan Bowen", "aadObjectId": "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"},
    "conversation": {"conversationType": "personal", "id": CONVERSATION},
    "recipient": {"id": "28:" + APP_ID, "name": "Teams TestBot"},
    "textFormat": "plain",
    "text": "Hello Teams TestBot",
    "entities": [{"locale": "en-US", "country": "US", "platform": "Windows", "timezone": "America/Los_Angeles",
                  "type": "clientInfo"}],
    "channelData": {"tenant": {"id": "72f988bf-86f1-41af-91ab-2d7cd011db47"}},
    "locale": "en-US",
}


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, dict]:
    return generate_demo_keyset()


@pytest.fixture(scope="module")
def other_keys() -> tuple[bytes, dict]:
    return generate_demo_keyset()


def secret_for(jwks: dict, **changes) -> ChannelSecret:
    return ChannelSecret(**{"secret": "", "jwks": jwks, "app_id": APP_ID, "issuer": ISSUER, **changes})


def post(activity: dict, token: str | None) -> WebhookRequest:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return WebhookRequest.build("POST", URL, headers, json.dumps(activity).encode())


def token(keys: tuple[bytes, dict], **overrides) -> str:
    pem, jwks = keys
    args = {"kid": jwks["keys"][0]["kid"], "app_id": APP_ID, "issuer": ISSUER, "service_url": SERVICE_URL, **overrides}
    return sign_demo_token(pem, **args)


def raw_token(keys: tuple[bytes, dict], claims: dict, **header) -> str:
    pem, jwks = keys
    private = serialization.load_pem_private_key(pem, password=None)
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": jwks["keys"][0]["kid"], **header})


def test_demo_keyset_is_a_usable_public_jwk_set(keys) -> None:
    pem, jwks = keys
    (jwk,) = jwks["keys"]
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in jwk and len(jwk["kid"]) == 43  # public half only; a SHA-256 thumbprint


def test_connector_token_verifies(keys) -> None:
    teams.verify(post(ACTIVITY, token(keys)), secret_for(keys[1]))


def test_token_within_the_five_minute_clock_skew_still_verifies(keys) -> None:
    teams.verify(post(ACTIVITY, token(keys, ttl=-120)), secret_for(keys[1]))


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"app_id": "another-bot"}, "audience"),
    ({"issuer": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"}, "issuer"),
    ({"ttl": -400}, "expired"),
    ({"service_url": "https://evil.example/"}, "serviceurl"),
])
def test_wrong_claims_fail(keys, overrides: dict, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason if reason == "serviceurl" else None):
        teams.verify(post(ACTIVITY, token(keys, **overrides)), secret_for(keys[1]))


def test_activity_posted_with_another_service_url_than_its_token_fails(keys) -> None:
    moved = {**ACTIVITY, "serviceUrl": "https://evil.example/"}
    with pytest.raises(SignatureError, match="serviceurl"):
        teams.verify(post(moved, token(keys)), secret_for(keys[1]))


def test_not_yet_valid_token_fails(keys) -> None:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now + 900, "exp": now + 1800}
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, raw_token(keys, claims)), secret_for(keys[1]))


def test_token_without_expiry_fails(keys) -> None:
    claims = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL}
    with pytest.raises(SignatureError, match="exp"):
        teams.verify(post(ACTIVITY, raw_token(keys, claims)), secret_for(keys[1]))


def test_token_signed_by_another_key_under_the_same_kid_fails(keys, other_keys) -> None:
    forged = token(other_keys, kid=keys[1]["keys"][0]["kid"])
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, forged), secret_for(keys[1]))


def test_tampered_claims_fail(keys) -> None:
    head, payload, signature = token(keys).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["aud"] = "x"
    forged = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, f"{head}.{forged}.{signature}"), secret_for(keys[1]))


def test_algorithm_confusion_with_the_public_key_as_hmac_secret_fails(keys) -> None:
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": keys[1]["keys"][0]["kid"]})
                                        .encode()).decode()
    body = jwt.utils.base64url_encode(json.dumps({"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL,
                                                  "exp": int(time.time()) + 300}).encode()).decode()
    unsigned = f"{header}.{body}."
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, unsigned), secret_for(keys[1]))
    none_header = jwt.utils.base64url_encode(b'{"alg":"none","kid":"' + keys[1]["keys"][0]["kid"].encode() + b'"}')
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, f"{none_header.decode()}.{body}."), secret_for(keys[1]))


@pytest.mark.parametrize("authorization", [None, "Basic dXNlcjpwYXNz", "Bearer ", "Bearer not-a-jwt"])
def test_missing_or_unreadable_authorization_fails(keys, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    request = WebhookRequest.build("POST", URL, headers, json.dumps(ACTIVITY).encode())
    with pytest.raises(SignatureError):
        teams.verify(request, secret_for(keys[1]))


def test_unknown_kid_missing_kid_and_unconfigured_bot_fail(keys) -> None:
    with pytest.raises(SignatureError, match="not in the configured key set"):
        teams.verify(post(ACTIVITY, token(keys, kid="unknown")), secret_for(keys[1]))
    now = int(time.time())
    pem = keys[0]
    no_kid = jwt.encode({"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "exp": now + 300},
                        serialization.load_pem_private_key(pem, password=None), algorithm="RS256")
    with pytest.raises(SignatureError, match="kid"):
        teams.verify(post(ACTIVITY, no_kid), secret_for(keys[1]))
    with pytest.raises(SignatureError):
        teams.verify(post(ACTIVITY, token(keys)), ChannelSecret(secret=""))


def test_a_key_set_entry_that_is_no_rsa_key_fails_as_a_signature_error(keys) -> None:
    kid = keys[1]["keys"][0]["kid"]
    for broken in ({"kid": kid, "kty": "oct", "k": "c2VjcmV0"}, {"kid": kid, "kty": "RSA"}, {"kid": kid}):
        with pytest.raises(SignatureError):
            teams.verify(post(ACTIVITY, token(keys)), secret_for({"keys": [broken]}))


def test_key_endorsements_must_include_the_activity_channel(keys) -> None:
    endorsed = {"keys": [{**keys[1]["keys"][0], "endorsements": ["msteams", "skype"]}]}
    teams.verify(post(ACTIVITY, token(keys)), secret_for(endorsed))
    with pytest.raises(SignatureError, match="endorse"):
        teams.verify(post({**ACTIVITY, "channelId": "webchat"}, token(keys)), secret_for(endorsed))


def test_unreadable_activity_with_a_good_token_fails_verification(keys) -> None:
    request = WebhookRequest.build("POST", URL, {"Authorization": f"Bearer {token(keys)}"}, b"{not json")
    with pytest.raises(SignatureError):
        teams.verify(request, secret_for(keys[1]))


def test_documented_activity_parses_with_a_conversation_scoped_key() -> None:
    (message,) = teams.parse(post(ACTIVITY, None)).messages
    assert message.provider_message_id == f"{CONVERSATION}|1485983408511"
    assert (message.sender_handle, message.sender_name, message.text) == (FROM, "Megan Bowen", "Hello Teams TestBot")
    assert message.sent_at == datetime(2017, 2, 1, 21, 10, 7, 437000, tzinfo=UTC)
    assert message.channel_account == "28:" + APP_ID
    assert message.conversation_ref == {
        "service_url": SERVICE_URL, "conversation_id": CONVERSATION, "activity_id": "1485983408511",
        "bot_id": "28:" + APP_ID, "bot_name": "Teams TestBot", "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "channel_id": "msteams"}


def test_same_activity_id_in_two_conversations_are_two_messages() -> None:
    other = {**ACTIVITY, "conversation": {"id": "a:other"}}
    first, second = (teams.parse(post(a, None)).messages[0].provider_message_id for a in (ACTIVITY, other))
    assert first != second


def test_bot_mention_is_stripped_and_html_mirror_skipped_attachments_kept() -> None:
    activity = {**ACTIVITY, "text": "<at>Teams TestBot</at> my printer is offline",
                "entities": [{"type": "mention", "text": "<at>Teams TestBot</at>",
                              "mentioned": {"id": "28:" + APP_ID, "name": "Teams TestBot"}},
                             {"type": "mention", "text": "<at>Ann</at>", "mentioned": {"id": "29:ann"}}],
                "attachments": [
                    {"contentType": "text/html", "content": "<div><at>Teams TestBot</at> my printer</div>"},
                    {"contentType": "image/png", "contentUrl": "https://smba.example/img/1", "name": "shot.png"},
                    {"contentType": "application/vnd.microsoft.teams.file.download.info", "name": "log.txt",
                     "content": {"downloadUrl": "https://contoso.sharepoint.com/log.txt", "fileType": "txt"}},
                    {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard"}},
                ]}
    (message,) = teams.parse(post(activity, None)).messages
    assert message.text == "my printer is offline"
    assert message.attachments == (
        Attachment(kind="image", url="https://smba.example/img/1", mime_type="image/png", name="shot.png"),
        Attachment(kind="file", url="https://contoso.sharepoint.com/log.txt", name="log.txt"),
        Attachment(kind="card", mime_type="application/vnd.microsoft.card.adaptive"),
    )


@pytest.mark.parametrize("kind", ["conversationUpdate", "messageReaction", "typing", "invoke", "installationUpdate"])
def test_other_activity_types_are_ignored(kind: str) -> None:
    parsed = teams.parse(post({**ACTIVITY, "type": kind}, None))
    assert (parsed.messages, parsed.ignored) == ((), 1)
    assert teams.success_answer(parsed).status == 200


@pytest.mark.parametrize("activity", [
    {k: v for k, v in ACTIVITY.items() if k != "type"},
    {k: v for k, v in ACTIVITY.items() if k != "id"},
    {k: v for k, v in ACTIVITY.items() if k != "from"},
    {k: v for k, v in ACTIVITY.items() if k != "conversation"},
    {k: v for k, v in ACTIVITY.items() if k != "serviceUrl"},
    {**ACTIVITY, "from": "29:x"},
    {**ACTIVITY, "attachments": ["x"]},
])
def test_malformed_activities_are_payload_errors(activity: dict) -> None:
    with pytest.raises(PayloadError):
        teams.parse(post(activity, None))
    with pytest.raises(PayloadError):
        teams.parse(WebhookRequest.build("POST", URL, {}, b"[1, 2]"))


def test_outbound_replies_to_the_service_url_conversation() -> None:
    (message,) = teams.parse(post(ACTIVITY, None)).messages
    request = teams.outbound(message.sender_handle, "On it.", message.conversation_ref, None)
    assert request["method"] == "POST"
    assert request["url"] == ("https://smba.trafficmanager.net/amer/v3/conversations/"
                              + CONVERSATION.replace(":", "%3A") + "/activities")
    assert request["json"] == {"type": "message", "text": "On it.", "textFormat": "plain", "recipient": {"id": FROM},
                               "conversation": {"id": CONVERSATION}, "replyToId": "1485983408511",
                               "from": {"id": "28:" + APP_ID, "name": "Teams TestBot"}}
    assert teams.handshake(post(ACTIVITY, None), secret_for({"keys": []})) is None
    with pytest.raises(ValueError):
        teams.outbound(FROM, "x", None, None)
    with pytest.raises(ValueError):
        teams.outbound(FROM, "x", {"service_url": "file:///etc/passwd", "conversation_id": "a:1"}, None)
