"""All six adapters: the registry the server uses, and that no input makes one fail other than with its two errors."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.channels import ADAPTERS, ChannelSecret, PayloadError, SignatureError, WebhookRequest, demo_secret

CHANNELS = ("sms", "whatsapp", "facebook", "line", "wechat", "teams")
# Shapes close to each provider's real payload, so that generated values reach the inner parsing code.
SKELETONS = {
    "whatsapp": lambda v: {"object": "whatsapp_business_account",
                           "entry": [{"id": "1", "changes": [{"field": "messages", "value": v}]}]},
    "facebook": lambda v: {"object": "page", "entry": [{"id": "1", "messaging": [v]}]},
    "line": lambda v: {"destination": "U1", "events": [v]},
    "teams": lambda v: {"type": "message", "id": "1", "serviceUrl": "https://x/", "conversation": {"id": "c"},
                        "from": {"id": "f"}, **(v if isinstance(v, dict) else {"text": v})},
    "wechat": lambda v: v if isinstance(v, dict) else {"MsgType": v},
    "sms": lambda v: v,
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "type", "text", "from", "message", "messages", "statuses", "source", "timestamp",
                         "attachments", "payload", "mid", "sender", "recipient", "delivery", "read", "contacts",
                         "MsgType", "MsgId", "FromUserName", "entities", "image", "location", "latitude"]),
        children, max_size=6),
    max_leaves=25,
)


def test_registry_has_the_six_channels_by_name() -> None:
    assert sorted(ADAPTERS) == sorted(CHANNELS)
    for name, adapter in ADAPTERS.items():
        assert adapter.name == name
        for method in ("verify", "parse", "handshake", "success_answer", "outbound"):
            assert callable(getattr(adapter, method))


def test_demo_secret_names_the_channel() -> None:
    assert demo_secret("line") == "casework-demo-line"


def test_json_nested_to_the_body_limit_is_a_payload_error_for_every_json_channel() -> None:
    deep = b"[" * 30000 + b"]" * 30000
    for channel in ("whatsapp", "facebook", "line", "wechat", "teams"):
        request = WebhookRequest.build("POST", "https://x.example/hook", {}, b'{"a":' + deep + b"}")
        try:
            ADAPTERS[channel].parse(request)
        except PayloadError:
            continue
        raise AssertionError(f"{channel} accepted a 30000-deep body")


def _only_our_errors(call) -> None:
    try:
        call()
    except (PayloadError, SignatureError):
        pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel=st.sampled_from(CHANNELS), body=st.binary(max_size=300))
def test_arbitrary_bytes_only_ever_raise_payload_or_signature_errors(channel: str, body: bytes) -> None:
    adapter = ADAPTERS[channel]
    request = WebhookRequest.build("POST", "https://x.example/hook?signature=a&timestamp=1&nonce=2", {}, body)
    _only_our_errors(lambda: adapter.parse(request))
    _only_our_errors(lambda: adapter.verify(request, ChannelSecret(secret="s", jwks={"keys": []}, app_id="a")))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(channel=st.sampled_from([c for c in CHANNELS if c != "sms"]), value=json_values)
def test_arbitrary_json_in_the_providers_shapes_only_ever_raises_payload_errors(channel: str, value) -> None:
    body = json.dumps(SKELETONS[channel](value)).encode()
    request = WebhookRequest.build("POST", "https://x.example/hook", {}, body)
    _only_our_errors(lambda: ADAPTERS[channel].parse(request))


@settings(max_examples=150, deadline=None)
@given(form=st.lists(st.tuples(st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0",
                                                "MediaContentType0", "MessageStatus", "Latitude", "Longitude"]),
                               st.text(max_size=12)), max_size=8))
def test_arbitrary_twilio_forms_only_ever_raise_payload_errors(form: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    request = WebhookRequest.build("POST", "https://x.example/hook", {}, urlencode(form).encode())
    _only_our_errors(lambda: ADAPTERS["sms"].parse(request))


def test_adapters_stay_pure_no_web_framework_or_database_imported() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, server.channels; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'starlette', 'sqlalchemy', 'uvicorn', 'psycopg'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[4])
    assert result.stdout.strip() == "[]"
