"""The customer's /chat page (plain JavaScript) with an agent driven through the REST and WebSocket API (the
workspace side comes later): pre-chat form, offer, accept, messages and typing both ways, read marks, a reload
returning to the same conversation, end chat, close."""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.e2e.conftest import GuardedPages

AGENT = "agent5"  # General support (the demo chat queue); no other e2e test makes an agent Available


class Agent:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        body = json.dumps({"username": AGENT, "password": "casework"}).encode()
        request = urllib.request.Request(self.base + "/api/auth/login", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            self.cookie = "; ".join(h.split(";")[0] for h in response.headers.get_all("Set-Cookie"))
            self.csrf = json.loads(response.read())["csrfToken"]

    def call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else b""
        request = urllib.request.Request(self.base + path, data=data if method != "GET" else None, method=method,
                                         headers={"Content-Type": "application/json", "Cookie": self.cookie,
                                                  "X-CSRF-Token": self.csrf})
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def socket(self):
        url = self.base.replace("http://", "ws://") + "/api/push"
        return connect(url, origin=self.base, additional_headers={"Cookie": self.cookie}, open_timeout=30)


def until(ws, predicate, limit: int = 100) -> dict:
    for _ in range(limit):
        event = json.loads(ws.recv(timeout=30))
        if predicate(event):
            return event
    raise AssertionError("event not received")


def test_customer_chat_with_an_agent_from_pre_chat_form_to_close(pages: GuardedPages) -> None:
    agent = Agent(pages.server.url)
    with agent.socket() as ws:
        try:
            assert json.loads(ws.recv(timeout=30))["type"] == "hello"
            # Available only once the socket listens: conversations other tests left behind (an agent's
            # disconnect timeout puts their active ones back in the queue) are offered first and rejected below.
            agent.call("PUT", "/api/presence", {"presence": "Available"})
            page = pages.open("chat", user=None, ready=False)
            page.wait_for_selector("body[data-ready]", state="attached")
            page.get_by_label("Your name").fill("Ann Customer")
            page.get_by_label("E-mail (optional)").fill("ann.customer@example.com")
            page.get_by_label("How can we help?").fill("My <b>printer</b> is offline")
            page.get_by_role("button", name="Start chat").click()
            expect(page.locator("#transcript li")).to_have_count(1)
            expect(page.locator("#chat-status")).to_have_text("Waiting for an agent…")

            def ours(event: dict) -> bool:
                if event["type"] != "offer.created":
                    return False
                if event["data"]["customername"] != "Ann Customer":
                    agent.call("POST", f"/api/conversations({event['data']['conversationid']})/reject")
                    return False
                return True

            offer = until(ws, ours)
            conversation_id = offer["data"]["conversationid"]
            assert offer["data"]["channel"] == "chat" and offer["data"]["queuename"] == "General support"
            agent.call("POST", f"/api/conversations({conversation_id})/accept")
            expect(page.locator("#chat-status")).to_have_text("An agent is with you.")

            page.get_by_label("Message").press_sequentially("Any news?")
            until(ws, lambda e: e["type"] == "typing" and e["data"]["who"] == "customer")
            page.get_by_label("Message").press("Enter")
            got = until(ws, lambda e: e["type"] == "message.created" and e["data"]["sendertype"] == "customer"
                        and e["data"]["text"] == "Any news?")
            assert got["data"]["sequence"] == 2

            agent.call("POST", f"/api/conversations({conversation_id})/typing")
            expect(page.locator("#typing")).to_be_visible()
            agent.call("POST", f"/api/conversations({conversation_id})/send",
                       {"text": "Hello <b>Ann</b>, try driver 5.2", "clientId": "e2e-1"})
            reply = page.locator("#transcript li").nth(2)
            expect(reply.locator(".text")).to_have_text("Hello <b>Ann</b>, try driver 5.2")
            assert page.evaluate("document.querySelectorAll('#transcript .text *').length") == 0
            expect(page.locator("#typing")).to_be_hidden()
            until(ws, lambda e: e["type"] == "message.updated" and e["data"]["deliverystate"] == "read")

            page.reload()  # persistent chat: the same conversation comes back
            expect(page.locator("#transcript li")).to_have_count(3)
            expect(page.locator("#transcript li").nth(0).locator(".text")).to_have_text("My <b>printer</b> is offline")
            agent.call("POST", f"/api/conversations({conversation_id})/send", {"text": "Still there?",
                                                                               "clientId": "e2e-2"})
            expect(page.locator("#transcript li")).to_have_count(4)

            page.get_by_role("button", name="End chat").click()
            expect(page.locator("#chat-status")).to_have_text("This chat has ended.")
            ended = until(ws, lambda e: e["type"] == "conversation.updated" and e["data"]["statuscode"] == 5)
            assert ended["data"]["conversationid"] == conversation_id
            closed = agent.call("POST", f"/api/conversations({conversation_id})/close")
            assert closed["statuscode"] == 4
            expect(page.get_by_label("Message")).to_be_disabled()
        finally:
            agent.call("PUT", "/api/presence", {"presence": "Offline"})
