"""A macro that fills, saves, resolves and e-mails a case, with the mail delivered to a real SMTP server
(aiosmtpd on loopback, started by this test) through the server's ``--smtp-url``."""

from __future__ import annotations

import email
import socket
import uuid
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, expect

from server.launch import RunningServer, start_server
from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api
from tests.e2e.test_productivity_pane import open_case, tool


class Capture:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Capture, RunningServer]]:
    capture = Capture()
    with socket.socket() as probe:  # aiosmtpd's start() checks the port it was given, so a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    server = start_server(tmp_path_factory.mktemp("casework-smtp"), "--smtp-url", f"smtp://127.0.0.1:{port}")
    try:
        yield capture, server
    finally:
        server.stop()
        controller.stop()


def test_a_macro_fills_saves_resolves_and_emails_the_case_through_smtp(browser: Browser, smtp_server) -> None:
    capture, server = smtp_server
    pages = GuardedPages(browser, server)
    try:
        page = pages.open()
        api = Api(page.context.request, server.url)
        admin = Api(pages.new_context("admin")[0].request, server.url)
        template = admin.get("emailtemplates", **{"$filter": "title eq 'Case resolved'"})["value"][0]
        name = f"Fill, save, resolve, e-mail {uuid.uuid4().hex[:6]}"
        admin.post("macros", {"name": name, "description": "e2e", "definition": {"schema": 1, "steps": [
            {"action": "start"},
            {"action": "autofill_form", "fields": {"entityName": "incident",
                                                   "attributes": {"description": "Filled by ${anchor.title}"}}},
            {"action": "save_record"},
            {"action": "resolve_case", "fields": {"billableTime": "10", "incidentId": "${anchor.incidentid}",
                                                  "resolution": "Fixed: ${anchor.title}"}},
            {"action": "open_email_template", "fields": {
                "entityName": "incident", "entityId": "${anchor.incidentid}",
                "recipients": "customer@example.test", "templateId": template["templateid"]}}]}})
        case = api.new_case("SMTP macro case")
        open_case(page, case["incidentid"])
        tool(page, "Macros").click()
        expect(page.locator("#pane-body .macro-item").first).to_be_visible()
        message = page.evaluate("(n) => Microsoft.ProductivityMacros.runMacro(n)", name)
        assert message == f'Macro "{name}" ran: 5 steps done.'
        stored = api.get(f"incidents({case['incidentid']})")
        assert stored["description"] == "Filled by SMTP macro case" and stored["statecode"] == 1

        dialog = page.locator("dialog.email-dialog")
        expect(dialog).to_be_visible()
        subject = dialog.locator(".email-subject").input_value()
        assert stored["ticketnumber"] in subject
        dialog.get_by_role("button", name="Send").click()
        expect(page.locator("#notices")).to_contain_text("E-mail sent.")
        assert len(capture.messages) == 1  # the server answered after the SMTP server accepted it
        sender, recipients, raw = capture.messages[0]
        assert recipients == ["customer@example.test"]
        mail = email.message_from_bytes(raw)
        assert mail["Subject"] == subject and mail["To"] == "customer@example.test"
        body = mail.get_payload(decode=True).decode() if not mail.is_multipart() else \
            mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "SMTP macro case" in body and "{" not in body
        emails = api.get("emails", **{"$filter": f"regardingobjectid eq {case['incidentid']}"})["value"]
        assert [e["statuscode"] for e in emails] == [3]  # Sent
    finally:
        problems = pages.check_and_close(False)
        if problems:
            pytest.fail("page guard:\n" + "\n".join(problems), pytrace=False)
