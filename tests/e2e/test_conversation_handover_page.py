"""Handing a conversation over from the page, with a customer on /chat and two agents of the chat's queue (agent5
and agent8, General support) in their own browser contexts: closing the session (X) of an Active conversation asks
(Keep open / Close session / End and close); Close session leaves it without ending (a live chat goes back to Open
and is offered to the other agent, never back); the Transfer dialog lists queues and agents with their presence and
carries a note to the receiving agent's offer card; End and close ends and closes it (the test leaves nothing open
for later modules' offers). A wrapped-up conversation's session closes the conversation with it, and the
wrap-up's Contact lookup links another contact than the matched one."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api
from tests.e2e.test_conversation_workspace import _set_offline, _shot, _start_chat

CUSTOMER = "Hana Handover"


def _agent(pages: GuardedPages, user: str, presence: str) -> Page:
    page = pages.open("", user=user)
    select = page.get_by_label("Presence")
    expect(select).to_be_enabled()
    select.select_option(presence)
    expect(page.locator("#presence")).to_have_attribute("data-presence", presence.lower())
    return page


def _accept(agent: Page) -> None:
    offer = agent.locator(".offer-card", has_text=CUSTOMER)
    offer.get_by_role("button", name="Accept").click()
    expect(offer).to_have_count(0)
    expect(agent.locator(".conversation-page:visible .conversation-status")).to_have_text("Live chat · Active")


def _close_quietly(pages: GuardedPages, conversation_id: str, *agents: Page) -> None:
    for agent in agents:
        api = Api(agent.context.request, pages.server.url)
        for action in ("end", "close"):
            api.request.post(f"{api.base}conversations({conversation_id})/{action}", data={},
                             headers={"X-CSRF-Token": api.csrf})


def _close_button(agent: Page):
    return agent.get_by_role("button", name=f"Close session {CUSTOMER}", include_hidden=True)


def test_x_without_end_reoffers_the_chat_and_transfer_to_an_agent_carries_a_note(pages: GuardedPages) -> None:
    first = _agent(pages, "agent5", "Available")
    second = _agent(pages, "agent8", "Away")  # not routable: the first offer goes to agent5
    api = Api(pages.new_context("supervisor")[0].request, pages.server.url)
    conversation_id = None
    try:
        customer = _start_chat(pages, CUSTOMER, "Can someone else look at my order?")
        _accept(first)
        conversation_id = first.evaluate("Microsoft.Omnichannel.getConversationId()")
        session = first.locator("#session-list [role=tab]", has_text=CUSTOMER)

        # X asks; Keep open keeps the session and the conversation as they were
        _close_button(first).click()
        dialog = first.get_by_role("dialog", name="Close this conversation's session?")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("offered to another agent")
        expect(dialog.get_by_role("button", name="Keep open")).to_be_focused()
        assert_accessible(first, "dialog.conversation-close")
        _shot(first, "close-dialog")
        dialog.get_by_role("button", name="Keep open").click()
        expect(dialog).to_have_count(0)
        expect(session).to_have_count(1)
        assert api.get(f"conversations({conversation_id})")["statuscode"] == 2

        # Close session: X without End, the chat goes back to Open and is not offered to agent5 again
        _close_button(first).click()
        dialog.get_by_role("button", name="Close session").click()
        expect(session).to_have_count(0)
        expect(first.locator("#notices")).to_contain_text("went back to the queue")
        left = api.get(f"conversations({conversation_id})")
        assert left["statuscode"] == 1 and left["ownerid"] is None
        expect(first.get_by_label("Presence")).to_have_value("Available")  # capacity released
        expect(customer.locator("#chat-status")).to_have_text("Waiting for an agent…")

        # agent8 becomes available: the conversation is offered to them, and they accept
        second.get_by_label("Presence").select_option("Available")
        _accept(second)
        expect(first.locator(".offer-card", has_text=CUSTOMER)).to_have_count(0)

        # Transfer dialog: queues and agents with their presence; agent5 chosen, with a note
        second.locator(".conversation-page:visible").get_by_role("button", name="Transfer…").click()
        transfer = second.get_by_role("dialog", name="Transfer the conversation")
        expect(transfer).to_be_visible()
        target = transfer.get_by_label("Transfer to")
        expect(target.locator("optgroup[label=Queues] option", has_text="Billing and orders")).to_have_count(1)
        fifth = target.locator("optgroup[label=Agents] option", has_text="Agent 5 ")
        expect(fifth).to_have_text(" ".join(fifth.inner_text().split()[:-1]) + " (Available)")
        transfer.get_by_role("button", name="Transfer").click()  # nothing chosen: says so, stays open
        expect(transfer.get_by_role("alert")).to_have_text("Choose a queue or an agent.")
        target.select_option(label=fifth.inner_text())
        transfer.get_by_label("Note for the receiving agent (optional)").fill(
            "Order <b>4711</b>: refund already approved")
        assert_accessible(second, "dialog.transfer-dialog")
        _shot(second, "transfer-dialog")
        transfer.get_by_role("button", name="Transfer").click()
        expect(second.locator("#session-list [role=tab]", has_text=CUSTOMER)).to_have_count(0)
        expect(second.locator("#notices")).to_contain_text("The conversation went to Agent 5 ")

        offer = first.locator(".offer-card", has_text=CUSTOMER)
        note = offer.locator(".offer-note")
        expect(note).to_have_text("Note from Agent 8 " + note.inner_text().split("Agent 8 ", 1)[1])
        expect(note).to_contain_text("Order <b>4711</b>: refund already approved")  # as text
        assert first.evaluate("document.querySelectorAll('.offer-note b').length") == 0
        assert_accessible(first, "#offers")
        _shot(first, "offer-note")

        # agent5 accepts, then X → End and close: the conversation is closed with the session
        _accept(first)
        _close_button(first).click()
        first.get_by_role("dialog", name="Close this conversation's session?").get_by_role(
            "button", name="End and close").click()
        expect(session).to_have_count(0)
        assert api.get(f"conversations({conversation_id})")["statuscode"] == 4
        expect(customer.locator("#chat-status")).to_have_text("This chat has ended.")
        conversation_id = None
    finally:
        if conversation_id is not None:  # a failure part way: end and close what is still open
            _close_quietly(pages, conversation_id, first, second)
        _set_offline(first)
        _set_offline(second)


def test_closing_the_session_of_a_wrapped_up_conversation_closes_it(pages: GuardedPages) -> None:
    agent = _agent(pages, "agent5", "Available")
    api = Api(pages.new_context("supervisor")[0].request, pages.server.url)
    try:
        _start_chat(pages, CUSTOMER, "One quick question")
        _accept(agent)
        conversation_id = agent.evaluate("Microsoft.Omnichannel.getConversationId()")
        agent.get_by_role("button", name="End", exact=True).click()
        wrapup = agent.locator(".wrapup:visible")
        # the Contact lookup links another contact than the matched one
        other = api.get("contacts", **{"$top": 1, "$orderby": "fullname asc",
                                       "$filter": "startswith(fullname,'A')"})["value"][0]
        contact = wrapup.get_by_label("Contact", exact=True)
        expect(contact).to_have_value(CUSTOMER)  # the contact matched from the pre-chat form
        contact.fill(other["fullname"])
        option = agent.get_by_role("option", name=other["fullname"]).first
        expect(option).to_be_visible()
        assert_accessible(agent, ".wrapup")
        _shot(agent, "wrapup-contact")
        option.click()
        expect(wrapup.locator(".wrapup-status")).to_have_text(f"Contact {other['fullname']} linked.")
        assert api.get(f"conversations({conversation_id})")["contactid"] == other["contactid"]
        wrapup.get_by_label("Wrap-up notes").fill("Answered on the spot")
        _close_button(agent).click()  # no question: wrap-up is over when its session closes
        expect(agent.locator("#session-list [role=tab]", has_text=CUSTOMER)).to_have_count(0)
        expect(agent.get_by_role("dialog")).to_have_count(0)
        assert api.get(f"conversations({conversation_id})")["statuscode"] == 4
        notes = api.get("annotations", **{"$filter": f"objectid eq {conversation_id}"})["value"]
        assert [n["notetext"] for n in notes] == ["Answered on the spot"]
    finally:
        _set_offline(agent)
