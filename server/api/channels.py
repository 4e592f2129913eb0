"""``POST /api/channels/<channel>`` (provider webhooks) and ``GET`` (their verification handshakes).

The adapter (``server.channels``, pure) verifies the signature over the raw bytes and parses the payload; this
endpoint only loads the channel's account secrets and stores through the conversation service. A bad signature
stores nothing and answers 401; a malformed body 400; an unknown channel 404; all in the one error shape. Success
answers what the provider expects (Twilio: empty TwiML; WeChat: ``success``).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.conversations import adapter_types as types
from server.db import schema
from server.errors import ApiError

MAX_WEBHOOK_BYTES = 512 * 1024
SignatureError, PayloadError = types.SignatureError, types.PayloadError


def adapters_of(request: Request) -> dict:
    return request.app.state.channel_adapters


def secret_of(account) -> types.ChannelSecret:
    settings = json.loads(account.settings or "{}")
    return types.ChannelSecret(secret=account.secret, verify_token=account.verifytoken, jwks=settings.get("jwks"),
                               app_id=settings.get("appId"), issuer=settings.get("issuer"))


async def _raw_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_WEBHOOK_BYTES:
            raise ApiError(413, "payload_too_large", f"The body is larger than {MAX_WEBHOOK_BYTES} bytes.",
                           {"limit": MAX_WEBHOOK_BYTES})
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


def _process(request: Request, adapter, webhook) -> Response:
    service = request.app.state.conversations
    channel = adapter.name
    with service.database.engine.connect() as conn:
        accounts = conn.execute(select(schema.channelaccounts).where(
            schema.channelaccounts.c.channel == channel, schema.channelaccounts.c.isdisabled.is_(False))).all()
    if not accounts:
        raise ApiError(404, "not_found", f"No {channel} account is set up.", {"channel": channel})
    if webhook.method == "GET":
        for account in accounts:
            try:
                answer = adapter.handshake(webhook, secret_of(account))
            except SignatureError:
                continue
            if answer is not None:
                return _answer(answer)
        raise ApiError(401, "bad_signature", "The verification request did not match this channel's token.",
                       {"channel": channel})
    account = None
    for candidate in accounts:  # usually one per channel; with several, the one whose secret verifies
        try:
            adapter.verify(webhook, secret_of(candidate))
        except SignatureError:
            continue
        account = candidate
        break
    if account is None:
        raise ApiError(401, "bad_signature", "The request's signature does not verify; nothing was stored.",
                       {"channel": channel})
    try:
        parsed = adapter.parse(webhook)
    except PayloadError as exc:
        raise ApiError(400, "malformed_payload", f"The {channel} payload could not be read: {exc}",
                       {"channel": channel}) from None
    stored = duplicates = 0
    for message in parsed.messages:
        if service.ingest(channel, account, message) == "stored":
            stored += 1
        else:
            duplicates += 1
    for receipt in parsed.receipts:
        service.apply_receipt(channel, receipt)
    for watermark in getattr(parsed, "watermarks", ()):
        service.apply_watermark(channel, watermark)
    if stored:
        service.route()
    response = _answer(adapter.success_answer(parsed))
    response.headers["X-Casework-Stored"] = f"{stored} stored, {duplicates} duplicate"
    return response


async def webhook(request: Request) -> Response:
    channel = request.path_params["channel"]
    adapter = adapters_of(request).get(channel)
    if adapter is None:
        raise ApiError(404, "not_found", f"No channel {channel!r}.",
                       {"channel": channel, "known": sorted(adapters_of(request))})
    body = await _raw_body(request) if request.method == "POST" else b""
    query: dict[str, list[str]] = parse_qs(request.url.query, keep_blank_values=True)
    webhook_request = types.WebhookRequest(
        method=request.method, url=str(request.url), headers={k.lower(): v for k, v in request.headers.items()},
        query=query, body=body)
    return await run_in_threadpool(_process, request, adapter, webhook_request)


routes = [Route("/api/channels/{channel}", webhook, methods=["GET", "POST"])]
