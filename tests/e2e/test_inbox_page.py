"""The inbox (issue 17) with two browser contexts, as in test_conversation_workspace: customers on /chat, agents in
the workspace. A conversation arriving while the inbox is open appears at once with its unread count; replying from
the reading pane reaches the customer; Promote opens a session with the draft kept; a keyboard-only journey; axe;
a second agent's accept removes the item from my Unassigned view live; reload keeps view, filter, sort, selection.
"""

from __future__ import annotations

import os
import re

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages
from tests.e2e.test_conversation_workspace import _start_chat

AGENT = "agent5"  # General support (the demo chat queue), the default profile: inbox on
OTHER = "agent8"  # General support too


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("CASEWORK_SHOTS")
    if not folder:
        return
    for width, height in ((1440, 900), (1024, 700)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=os.path.join(folder, f"inbox-{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


def _agent(pages: GuardedPages, user: str = AGENT, presence: str = "Available") -> Page:
    agent = pages.open("", user=user)
    select = agent.get_by_label("Presence")
    expect(select).to_be_enabled()
    select.select_option(presence)
    expect(agent.locator("#presence")).to_have_attribute("data-presence",
                                                         presence.lower().replace(" - ", "-").replace(" ", "-"))
    return agent


def _open_inbox(agent: Page, view: str | None = None) -> None:
    agent.locator("#inbox-entry").click()
    expect(agent.locator("#inbox")).to_be_visible()
    expect(agent.locator("#workspace-main")).to_be_hidden()
    if view:
        agent.locator(f"#inbox-view-{view}").click()
        expect(agent.locator(f"#inbox-view-{view}")).to_have_attribute("aria-selected", "true")


def _card(agent: Page, customer: str):
    return agent.locator("#inbox-list .inbox-card", has=agent.locator(".inbox-card-customer", has_text=customer))


def _offline(*agents: Page) -> None:
    for agent in agents:
        agent.evaluate("Microsoft.CIFramework.setPresence('Offline')")


def test_arrival_reply_and_promote_from_the_reading_pane(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        _open_inbox(agent, "unassigned")
        unassigned = agent.locator("#inbox-view-unassigned .inbox-view-count")
        before = int(unassigned.inner_text())
        customer = _start_chat(pages, "Ivy <b>Inbox</b>", "Where is my parcel?")

        card = _card(agent, "Ivy <b>Inbox</b>")
        expect(card).to_have_count(1)  # pushed: no refresh
        expect(card.locator(".inbox-unread")).to_have_text("1")
        expect(card.locator(".inbox-card-preview")).to_have_text("Where is my parcel?")
        expect(card.locator(".inbox-live")).to_have_text("Live")
        expect(unassigned).to_have_text(str(before + 1))
        expect(agent.locator("#inbox-view-unassigned .inbox-view-unread")).to_contain_text("unread")
        expect(agent.locator("#inbox-entry .inbox-badge")).not_to_have_text("0")
        assert re.match(r"\(\d+\) Casework", agent.title())
        assert agent.evaluate("document.querySelectorAll('#inbox-list *:not(span):not(li)').length") == 0

        card.click()
        pane = agent.locator("#inbox-pane")
        expect(pane.locator(".inbox-pane-title")).to_have_text("Ivy <b>Inbox</b>")
        expect(pane.locator(".transcript li .text")).to_have_text(["Where is my parcel?"])
        expect(card.locator(".inbox-unread")).to_have_count(0)  # read: shown in the reading pane
        sessions = agent.locator("#session-list [role=tab]").count()
        pane.get_by_role("button", name="Accept").click()
        expect(agent.locator(".offer-card")).to_have_count(0)
        agent.locator("#inbox-view-assigned").click()
        expect(card).to_have_count(1)
        expect(pane.locator(".inbox-conversation-status")).to_have_text("Active")
        assert agent.locator("#session-list [role=tab]").count() == sessions  # no session opened
        expect(customer.locator("#chat-status")).to_have_text("An agent is with you.")
        _shot(agent, "conversation")
        assert_accessible(agent, "#inbox")

        reply = pane.get_by_label("Reply")
        reply.fill("It ships today")
        reply.press("Enter")
        expect(customer.locator("#transcript li").last.locator(".text")).to_have_text("It ships today")
        expect(card.locator(".inbox-card-preview")).to_have_text("It ships today")
        customer.get_by_label("Message").fill("Thanks!")
        customer.get_by_label("Message").press("Enter")
        expect(pane.locator(".transcript li .text")).to_have_text(["Where is my parcel?", "It ships today",
                                                                   "Thanks!"])
        expect(card.locator(".inbox-unread")).to_have_count(0)  # in view: read at once

        reply.fill("One more thing")
        pane.get_by_role("button", name="Promote").click()
        expect(agent.locator("#inbox")).to_be_hidden()
        session = agent.locator("#session-list [role=tab]", has_text="Ivy <b>Inbox</b>")
        expect(session).to_have_count(1)
        expect(session).to_have_attribute("aria-selected", "true")
        expect(agent.get_by_label("Message", exact=True)).to_have_value("One more thing")
        agent.get_by_role("button", name="End", exact=True).click()
        agent.get_by_role("button", name="Close conversation").click()
        expect(session).to_have_count(0)
        _open_inbox(agent, "resolved")
        expect(_card(agent, "Ivy <b>Inbox</b>")).to_have_count(1)  # closed: moved by push to Resolved
    finally:
        _offline(agent)


def test_keyboard_only_journey_and_restore(pages: GuardedPages) -> None:
    agent = _agent(pages, presence="Offline")
    agent.locator("#inbox-entry").focus()
    agent.keyboard.press("Enter")
    inbox_list = agent.locator("#inbox-list")
    expect(inbox_list).to_be_focused()
    agent.keyboard.press("Shift+Tab")
    agent.keyboard.press("Shift+Tab")
    agent.keyboard.press("Shift+Tab")
    agent.keyboard.press("Shift+Tab")
    expect(agent.locator("#inbox-view-assigned")).to_be_focused()
    agent.keyboard.press("ArrowUp")  # views: up to Cases
    expect(agent.locator("#inbox-view-cases")).to_have_attribute("aria-selected", "true")
    agent.keyboard.press("Tab")  # into the filter
    agent.keyboard.press("Tab")
    agent.keyboard.press("Tab")
    agent.keyboard.press("Tab")
    expect(inbox_list).to_be_focused()
    cards = inbox_list.locator(".inbox-card")
    expect(cards.nth(2)).to_be_visible()  # the views may still be loading when the inbox opens
    first = cards.nth(0)
    expect(first).to_have_attribute("aria-selected", "true")  # a view opens with its first card selected
    agent.keyboard.press("j")
    expect(cards.nth(1)).to_have_attribute("aria-selected", "true")
    agent.keyboard.press("ArrowDown")
    expect(cards.nth(2)).to_have_attribute("aria-selected", "true")
    agent.keyboard.press("k")
    expect(cards.nth(1)).to_have_attribute("aria-selected", "true")
    expect(inbox_list).to_have_attribute("aria-activedescendant", cards.nth(1).get_attribute("id"))
    title = cards.nth(1).locator(".inbox-card-subject").inner_text()
    resolved_key = cards.nth(1).get_attribute("data-key")
    pane = agent.locator("#inbox-pane")
    expect(pane.locator(".inbox-pane-facts")).to_contain_text(title)
    agent.keyboard.press("Enter")
    expect(pane).to_be_focused()
    agent.keyboard.press("Escape")
    expect(inbox_list).to_be_focused()
    count = int(agent.locator("#inbox-view-cases .inbox-view-count").inner_text())
    agent.keyboard.press("e")  # resolve the selected case
    expect(agent.locator("#inbox-view-cases .inbox-view-count")).to_have_text(str(count - 1))
    expect(inbox_list.locator(f".inbox-card[data-key='{resolved_key}']")).to_have_count(0)
    expect(cards.nth(1)).to_have_attribute("aria-selected", "true")  # the neighbour took the selection

    # sort by customer, oldest on top; the selection, view and query come back after a reload
    agent.locator("#inbox").get_by_label("Sort by", exact=True).select_option("customer")
    agent.locator("#inbox").get_by_label("Order", exact=True).select_option("asc")
    names = [n.casefold() for n in inbox_list.locator(".inbox-card-customer").all_inner_texts()]
    assert names == sorted(names)
    inbox_list.focus()
    agent.keyboard.press("Home")
    expect(cards.nth(0)).to_have_attribute("aria-selected", "true")
    agent.keyboard.press("j")
    agent.keyboard.press("j")
    selected = cards.nth(2).get_attribute("data-key")
    expect(cards.nth(2)).to_have_attribute("aria-selected", "true")
    assert_accessible(agent, "#inbox")
    _shot(agent, "cases")
    agent.evaluate("() => window.dispatchEvent(new Event('pagehide'))")  # restore saves now (test_restore.save_now)
    agent.reload()
    agent.wait_for_selector("body[data-ready]", state="attached")
    expect(agent.locator("#inbox")).to_be_visible()
    expect(agent.locator("#inbox-view-cases")).to_have_attribute("aria-selected", "true")
    expect(agent.locator("#inbox").get_by_label("Sort by", exact=True)).to_have_value("customer")
    expect(agent.locator("#inbox").get_by_label("Order", exact=True)).to_have_value("asc")
    expect(agent.locator(f"#inbox-list .inbox-card[data-key='{selected}']")).to_have_attribute("aria-selected", "true")

    agent.locator("#inbox-list").focus()
    agent.keyboard.press("Escape")
    expect(agent.locator("#inbox")).to_be_hidden()
    expect(agent.locator("#workspace-main")).to_be_visible()


def test_a_second_agents_accept_removes_the_item_from_my_view_live(pages: GuardedPages) -> None:
    me = _agent(pages, AGENT, presence="Busy - DND")  # connected, not routable: the offer goes to the other
    other = _agent(pages, OTHER)
    try:
        _open_inbox(me, "unassigned")
        _open_inbox(other, "unassigned")
        _start_chat(pages, "Tess Taken", "Who takes me?")
        mine, theirs = _card(me, "Tess Taken"), _card(other, "Tess Taken")
        expect(mine).to_have_count(1)
        expect(theirs).to_have_count(1)
        theirs.click()
        other.locator("#inbox-pane").get_by_role("button", name="Accept").click()
        expect(mine).to_have_count(0)  # pushed on the queue's topic
        other.locator("#inbox-view-assigned").click()
        expect(theirs).to_have_count(1)
    finally:
        _offline(me, other)


def test_notification_centre_opens_a_missed_message(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        customer = _start_chat(pages, "Nora Notify", "Hello there")
        agent.locator(".offer-card").get_by_role("button", name="Accept").click()
        session = agent.locator("#session-list [role=tab]", has_text="Nora Notify")
        expect(session).to_have_count(1)
        agent.locator("#session-home").click()  # the conversation is not in view
        customer.get_by_label("Message").fill("Are you there?")
        customer.get_by_label("Message").press("Enter")
        bell = agent.locator("#notify-button")
        expect(bell.locator(".notify-count")).not_to_have_text("0")
        bell.click()
        entry = agent.locator(".notify-entry", has_text="Are you there?")
        expect(entry).to_have_count(1)
        assert_accessible(agent, "#notify-panel")
        entry.click()
        expect(agent.locator("#inbox")).to_be_visible()
        expect(agent.locator("#inbox-pane .inbox-pane-title")).to_have_text("Nora Notify")
    finally:
        _offline(agent)


def test_a_read_mark_in_one_browser_clears_the_unread_mark_in_the_other(pages: GuardedPages) -> None:
    first, second = _agent(pages, presence="Offline"), _agent(pages, presence="Offline")
    expect(second.locator("body")).to_have_attribute("data-push", "open")
    _open_inbox(second, "cases")
    selected = second.locator("#inbox-list .inbox-card[aria-selected='true']")
    expect(selected).not_to_have_class(re.compile(r"\bis-unread\b"))  # the card in its pane is read there
    unread = second.locator("#inbox-list .inbox-card.is-unread")
    expect(unread.first).to_be_visible()
    key = unread.first.get_attribute("data-key")  # a card this browser does not show in its pane
    before = unread.count()
    _open_inbox(first, "cases")
    card = first.locator(f"#inbox-list .inbox-card[data-key='{key}']")
    card.click()  # shown in the reading pane long enough to count as read
    expect(card).not_to_have_class(re.compile(r"\bis-unread\b"))
    elsewhere = second.locator(f"#inbox-list .inbox-card[data-key='{key}']")
    expect(elsewhere).not_to_have_class(re.compile(r"\bis-unread\b"))  # by push, no refresh
    expect(unread).to_have_count(before - 1)
