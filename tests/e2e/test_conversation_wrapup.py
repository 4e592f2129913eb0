"""Conversation sessions per channel, quick replies, the case made from the conversation on the server, linking an
existing case, and transfer to another queue; a customer on /chat (or an SMS through the signed Twilio webhook) and
an agent in the workspace."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from playwright.sync_api import expect

from server.channels.sms import compute_signature
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api
from tests.e2e.test_conversation_workspace import _agent, _set_offline, _shot, _start_chat


def test_quick_reply_then_a_case_from_the_conversation_and_an_existing_case_linked(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        customer = _start_chat(pages, "Quinn Reply", "The invoice PDF will not open")
        agent.locator(".offer-card").get_by_role("button", name="Accept").click()
        page = agent.locator(".conversation-page:visible")
        expect(page.locator(".conversation-status")).to_have_text("Live chat · Active")
        assert agent.evaluate("Microsoft.Apm.getFocusedSession().templateName") == "msdyn_chat_session"

        replies = page.get_by_label("Quick replies")
        expect(replies.locator("option", has_text="Greeting")).to_have_count(1)  # seeded, loaded once
        replies.select_option(label="Greeting")
        box = agent.get_by_label("Message", exact=True)
        expect(box).to_have_value(re.compile(r"^Hello Quinn Reply, my name is .+\. How can I help you today\?$"))
        assert "{" not in box.input_value()
        assert_accessible(agent, ".conversation-page:not([hidden])")
        _shot(agent, "quick-replies")
        box.press("Enter")
        expect(customer.locator("#transcript li").nth(1).locator(".text")).to_have_text(
            re.compile(r"^Hello Quinn Reply"))

        conversation_id = agent.evaluate("Microsoft.Omnichannel.getConversationId()")
        agent.get_by_role("button", name="End", exact=True).click()
        wrapup = agent.locator(".wrapup:visible")
        wrapup.get_by_role("button", name="Link the customer's contact").click()
        expect(wrapup.locator(".wrapup-status")).to_have_text("Contact linked.")
        wrapup.get_by_role("button", name="Create a case").click()
        status = agent.locator(".wrapup .wrapup-status")  # the case opens in a new tab of the session
        expect(status).to_have_text(re.compile(r"^Case CAS-\S+ created and linked\.$"))
        number = status.inner_text().split()[1]
        api = Api(agent.context.request, pages.server.url)
        case = api.get("incidents", **{"$filter": f"ticketnumber eq '{number}'"})["value"][0]
        assert case["title"] == "The invoice PDF will not open" and case["caseorigincode"] == "chat"
        assert "Quinn Reply: The invoice PDF will not open" in case["description"]
        assert api.get(f"conversations({conversation_id})")["incidentid"] == case["incidentid"]
        opened = agent.locator("[role=tab]").filter(
            has_text=re.compile(f"{number}|The invoice PDF will not open"))
        expect(opened.first).to_be_visible()

        other = api.new_case("Earlier case " + uuid.uuid4().hex[:6])
        agent.locator("#session-list [role=tab]", has_text="Quinn Reply").click()  # back to the chat session
        expect(wrapup).to_be_visible()
        wrapup.get_by_label("Case number").fill(other["ticketnumber"])
        wrapup.get_by_role("button", name="Link existing case").click()
        expect(wrapup.locator(".wrapup-status")).to_have_text(f"Case {other['ticketnumber']} linked.")
        assert api.get(f"conversations({conversation_id})")["incidentid"] == other["incidentid"]
        assert_accessible(agent, ".wrapup")
        _shot(agent, "wrapup-case")
        wrapup.get_by_role("button", name="Close conversation").click()
        expect(agent.locator("#session-list [role=tab]", has_text="Quinn Reply")).to_have_count(0)
    finally:
        _set_offline(agent)


def test_an_sms_opens_the_sms_session_template_and_transfer_hands_it_to_another_queue(pages: GuardedPages) -> None:
    agent = _agent(pages)
    supervisor = Api(pages.new_context("supervisor")[0].request, pages.server.url)
    # a queue nobody is in: the transferred conversation waits there and is never offered to other tests' agents
    queue_name = "E2E transfer " + uuid.uuid4().hex[:6]
    supervisor.post("queues", {"name": queue_name})
    try:
        phone = "+1555" + str(uuid.uuid4().int)[:7]
        params = [("MessageSid", "SM" + uuid.uuid4().hex), ("AccountSid", "AC123"), ("From", phone),
                  ("To", "+15550001111"), ("Body", "Text from my phone"), ("NumMedia", "0")]
        url = pages.server.url.rstrip("/") + "/api/channels/sms"
        sent = agent.context.request.post(url, data=urlencode(params), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": compute_signature("casework-demo-sms", url, params)})
        assert sent.status == 200, sent.text()
        offer = agent.locator(".offer-card", has_text=phone)
        expect(offer).to_contain_text("SMS")
        offer.get_by_role("button", name="Accept").click()
        session = agent.locator("#session-list [role=tab]", has_text=phone)
        expect(session).to_have_count(1)
        assert agent.evaluate("Microsoft.Apm.getFocusedSession().templateName") == "msdyn_sms_session"
        page = agent.locator(".conversation-page:visible")
        expect(page.locator(".conversation-status")).to_have_text("SMS · Active")
        conversation_id = agent.evaluate("Microsoft.Omnichannel.getConversationId()")

        page.get_by_role("button", name="Transfer…").click()
        dialog = agent.get_by_role("dialog", name="Transfer the conversation")
        target = dialog.get_by_label("Transfer to")
        expect(target.locator("optgroup[label=Queues] option", has_text=queue_name)).to_have_count(1)
        target.select_option(label=queue_name)
        dialog.get_by_role("button", name="Transfer").click()
        expect(session).to_have_count(0)
        expect(agent.locator("#notices")).to_contain_text("went back to routing")
        api = supervisor
        moved = api.get(f"conversations({conversation_id})")
        queue = api.get("queues", **{"$filter": f"name eq '{queue_name}'"})["value"][0]
        assert moved["statuscode"] == 1 and moved["ownerid"] is None and moved["queueid"] == queue["queueid"]
    finally:
        _set_offline(agent)


def test_at_the_session_limit_accept_sets_busy_dnd_and_says_so(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        opened = agent.evaluate("""async () => {
            let n = 0;
            for (let i = 0; i < 30; i++) {
                try {
                    await Microsoft.Apm.createSession({templateName: "msdyn_case_session",
                        sessionContext: {caseId: "limit-" + i, anchor: {ticketnumber: "CAS-LIMIT-" + i}}});
                    n++;
                } catch (e) { break; }
            }
            return n;
        }""")
        assert opened >= 1
        _start_chat(pages, "Lena Limit", "Can anyone take this?")
        offer = agent.locator(".offer-card", has_text="Lena Limit")
        offer.get_by_role("button", name="Accept").click()
        expect(offer).to_have_count(0)
        expect(agent.locator("#notices")).to_contain_text("You are at the session limit")
        expect(agent.get_by_label("Presence")).to_have_value("Busy - DND")
        expect(agent.locator("#session-list [role=tab]", has_text="Lena Limit")).to_have_count(0)
    finally:
        agent.evaluate("""() => { for (const id of Microsoft.Apm.getAllSessions()) {
            const s = Microsoft.Apm.getSession(id); if (!s.isDefault) { s.canClose = true; s.close(); } } }""")
        _set_offline(agent)
