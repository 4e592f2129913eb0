"""Conversations in the workspace, with two browser contexts: a customer on /chat and an agent in the workspace.

Offer (customer, channel, queue, countdown), Accept opening a chat session (the conversation as anchor, a customer
summary tab, titled from the customer's name), messages both ways with typing, delivery marks, End → wrap-up
(a note, the contact linked) → Close; a reload with a conversation open brings its session back once presence is
loaded; presence in the header and through Microsoft.CIFramework; Microsoft.Omnichannel calls.
"""

from __future__ import annotations

import os
import re

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages

AGENT = "agent5"  # General support (the demo chat queue)


def _start_chat(pages: GuardedPages, name: str, question: str) -> Page:
    customer = pages.open("chat", user=None, ready=False)
    customer.wait_for_selector("body[data-ready]", state="attached")
    customer.get_by_label("Your name").fill(name)
    customer.get_by_label("How can we help?").fill(question)
    customer.get_by_role("button", name="Start chat").click()
    expect(customer.locator("#chat-status")).to_have_text("Waiting for an agent…")
    return customer


def _agent(pages: GuardedPages) -> Page:
    agent = pages.open("", user=AGENT)
    select = agent.get_by_label("Presence")
    expect(select).to_be_enabled()  # presence loaded from the server
    select.select_option("Available")  # an earlier test left the agent Offline by hand (that sticks)
    expect(agent.locator("#presence")).to_have_attribute("data-presence", "available")
    return agent


def _shot(page: Page, name: str) -> None:
    """Screenshots for review when CASEWORK_SHOTS names a folder (1440x900 and 1024x700)."""
    folder = os.environ.get("CASEWORK_SHOTS")
    if not folder:
        return
    for width, height in ((1440, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(folder, f"conversation-{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


def _set_offline(agent: Page) -> None:
    agent.evaluate("Microsoft.CIFramework.setPresence('Offline')")


def test_offer_accept_chat_both_ways_wrap_up_and_close(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        assert agent.evaluate("Microsoft.CIFramework.getPresence()") == "Available"
        customer = _start_chat(pages, "Rita <i>Customer</i>", "My <b>router</b> blinks red")

        offer = agent.locator(".offer-card")
        expect(offer).to_have_count(1)
        expect(offer.locator(".offer-customer")).to_have_text("Rita <i>Customer</i>")
        expect(offer).to_contain_text("Live chat")
        expect(offer).to_contain_text("General support")
        expect(offer.locator(".offer-countdown")).to_have_text(re.compile(r"Accept within \d+ s"))
        expect(agent.locator("#offers-live")).to_contain_text("Incoming conversation from Rita <i>Customer</i>")
        assert_accessible(agent, "#offers")
        _shot(agent, "offer")
        offer.get_by_role("button", name="Accept").click()
        expect(offer).to_have_count(0)

        # a chat session titled from the customer's name; the conversation is its anchor, then the summary
        session = agent.locator("#session-list [role=tab]", has_text="Rita <i>Customer</i>")
        expect(session).to_have_count(1)
        expect(agent.locator(".conversation-page:visible .conversation-status")).to_have_text("Live chat · Active")
        expect(customer.locator("#chat-status")).to_have_text("An agent is with you.")
        expect(agent.get_by_label("Presence")).to_have_value("Busy")  # pushed: capacity partly used
        transcript = agent.locator(".conversation-page:visible .transcript li")
        expect(transcript).to_have_count(1)
        expect(transcript.nth(0).locator(".text")).to_have_text("My <b>router</b> blinks red")
        assert agent.evaluate("document.querySelectorAll('.transcript .text *').length") == 0
        conversation_id = agent.evaluate("Microsoft.Omnichannel.getConversationId()")
        assert isinstance(conversation_id, str) and len(conversation_id) == 36

        # customer → agent, with typing
        customer.get_by_label("Message").press_sequentially("Still blinking")
        expect(agent.locator(".conversation-page:visible .typing-indicator")).to_have_text(
            "The customer is typing…")
        customer.get_by_label("Message").press("Enter")
        expect(transcript).to_have_count(2)
        expect(transcript.nth(1).locator(".text")).to_have_text("Still blinking")
        expect(agent.locator(".conversation-page:visible .typing-indicator")).to_have_text("")
        assert_accessible(agent, ".conversation-page:not([hidden])")
        assert_accessible(agent, "#presence")
        _shot(agent, "conversation")

        # agent → customer, with typing; Enter sends, the delivery mark follows the customer's read
        box = agent.get_by_label("Message", exact=True)
        box.press_sequentially("Try unplugging")
        expect(customer.locator("#typing")).to_be_visible()
        box.press("Enter")
        expect(box).to_have_value("")
        expect(transcript).to_have_count(3)
        expect(customer.locator("#transcript li").nth(2).locator(".text")).to_have_text("Try unplugging")
        expect(transcript.nth(2).locator(".delivery")).to_have_text("Read")

        # the page API sends too, in order
        agent.evaluate("Microsoft.Omnichannel.sendMessageToConversation('Done?', false)")
        expect(customer.locator("#transcript li")).to_have_count(4)
        agent.evaluate("Microsoft.Omnichannel.sendMessageToConversation('Draft for you')")
        expect(box).to_have_value("Draft for you")
        box.fill("")
        listed = agent.evaluate("Microsoft.Omnichannel.getConversations({status: [2]})")
        assert [c["msdyn_ocliveworkitemid"] for c in listed] == [conversation_id]
        assert listed[0]["StatusCode"] == 2

        # summary tab
        agent.locator("[role=tab]", has_text="Customer summary").click()
        expect(agent.locator(".customer-summary:visible")).to_contain_text("Rita <i>Customer</i>")
        agent.locator("[role=tab]", has_text="Rita <i>Customer</i>").last.click()

        # End → wrap-up → close
        agent.get_by_role("button", name="End", exact=True).click()
        wrapup = agent.locator(".wrapup:visible")
        expect(wrapup).to_be_visible()
        expect(agent.locator(".conversation-page:visible .conversation-status")).to_have_text("Live chat · Wrap-up")
        expect(customer.locator("#chat-status")).to_have_text("This chat has ended.")
        wrapup.get_by_label("Wrap-up notes").fill("Router replaced")
        wrapup.get_by_role("button", name="Save note").click()
        expect(wrapup.locator(".wrapup-status")).to_have_text("Note saved.")
        wrapup.get_by_role("button", name="Link the customer's contact").click()
        expect(wrapup.locator(".wrapup-status")).to_have_text("Contact linked.")
        assert_accessible(agent, ".wrapup")
        _shot(agent, "wrapup")
        wrapup.get_by_role("button", name="Close conversation").click()
        expect(session).to_have_count(0)
        closed = agent.evaluate("Microsoft.Omnichannel.getConversations({status: [4]})")
        assert conversation_id in [c["msdyn_ocliveworkitemid"] for c in closed]
    finally:
        _set_offline(agent)


def test_reject_and_presence_in_the_header(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        agent.get_by_label("Presence").select_option("Away")
        expect(agent.locator("#presence")).to_have_attribute("data-presence", "away")
        assert agent.evaluate("Microsoft.CIFramework.getPresence()") == "Away"
        error = agent.evaluate("Microsoft.CIFramework.setPresence('Sleeping').then(() => null, e => e.message)")
        assert "Unknown presence" in error
        assert agent.evaluate("Microsoft.CIFramework.setPresence('Available')") is True
        expect(agent.get_by_label("Presence")).to_have_value("Available")

        _start_chat(pages, "Otto Reject", "Hello?")
        offer = agent.locator(".offer-card")
        expect(offer).to_have_count(1)
        offer.get_by_role("button", name="Reject").click()
        expect(offer).to_have_count(0)
        expect(agent.locator("#session-list [role=tab]", has_text="Otto Reject")).to_have_count(0)
    finally:
        _set_offline(agent)


def test_a_conversation_session_comes_back_after_a_reload(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        customer = _start_chat(pages, "Rhea Restore", "Will you remember me?")
        agent.locator(".offer-card").get_by_role("button", name="Accept").click()
        session = agent.locator("#session-list [role=tab]", has_text="Rhea Restore")
        expect(session).to_have_count(1)
        customer.get_by_label("Message").fill("Before the reload")
        customer.get_by_label("Message").press("Enter")
        expect(agent.locator(".conversation-page:visible .transcript li")).to_have_count(2)

        agent.reload()
        agent.wait_for_selector("body[data-ready]", state="attached")
        expect(agent.get_by_label("Presence")).to_have_value("Busy")  # one of three units in use
        expect(session).to_have_count(1)
        session.click()
        transcript = agent.locator(".conversation-page:visible .transcript li")
        expect(transcript).to_have_count(2)
        customer.get_by_label("Message").fill("After the reload")
        customer.get_by_label("Message").press("Enter")
        expect(transcript).to_have_count(3)
        expect(transcript.nth(2).locator(".text")).to_have_text("After the reload")
    finally:
        _set_offline(agent)
