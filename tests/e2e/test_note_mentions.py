"""Mentions in notes (issue 17, notifications): typing "@" in a note lists colleagues, a pick puts the mention in
the text, the saved note shows "@Name", and the colleague's notification centre says so and opens the case."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api, unique_word

SHOTS = "/work/shots/mentions"


def test_a_mention_in_a_note_reaches_the_colleague_s_notification_centre(pages: GuardedPages) -> None:
    colleague = pages.open(user="agent2")
    expect(colleague.locator("body")).to_have_attribute("data-push", "open")  # their push is connected
    colleague.evaluate("Microsoft.CIFramework.setPresence('Offline')")  # no offers from other tests' chats
    expect(colleague.locator("#presence")).to_have_attribute("data-presence", "offline")
    author = pages.open(user="agent3")
    api = Api(author.context.request, pages.server.url)
    name = api.get("systemusers", **{"$filter": "domainname eq 'agent2'"})["value"][0]["fullname"]
    word = unique_word()
    case = api.new_case(f"Mention {word}")
    author.evaluate("(id) => Microsoft.Apm.openRecord({entityName: 'incident', entityId: id, source: 'HOME'})",
                    case["incidentid"])
    panel = author.locator(".tab-panel:not(.is-inactive)")
    expect(panel.locator(".form-title")).to_have_text(f"Mention {word}")
    panel.get_by_role("button", name="+ Note").click()
    text = panel.get_by_label("Text (required)")
    text.press_sequentially(f"Serial for {word}, @{name.split()[0]}")
    options = panel.get_by_role("listbox", name="People to mention").get_by_role("option")
    expect(options.filter(has_text=name)).to_have_count(1)
    expect(text).to_have_attribute("aria-activedescendant", re.compile(r"^mention-list"))
    assert_accessible(author, ".tl-draft")
    for _ in range(options.count()):  # move to the colleague with the keyboard, then pick with Enter
        if options.filter(has_text=name).get_attribute("aria-selected") == "true":
            break
        text.press("ArrowDown")
    expect(options.filter(has_text=name)).to_have_attribute("aria-selected", "true")
    author.screenshot(path=f"{SHOTS}-picker.png")
    text.press("Enter")
    expect(panel.get_by_role("listbox", name="People to mention")).to_be_hidden()
    assert f"@[{name}](user:" in text.input_value()
    expect(panel.locator(".tl-draft")).to_be_visible()  # Enter picked; it did not save or close the draft
    text.press("Control+Enter")
    note = panel.locator(".tl-item[data-type='note']", has_text=f"Serial for {word}")
    expect(note).to_have_count(1)
    expect(note).to_contain_text(f"@{name}")
    expect(note).not_to_contain_text("user:")

    bell = colleague.locator("#notify-button")
    expect(bell.locator(".notify-count")).to_be_visible()
    bell.click()
    entry = colleague.locator(".notify-entry", has_text=f"Serial for {word}")
    expect(entry).to_contain_text("Mention")
    expect(entry).to_contain_text(case["ticketnumber"])
    assert_accessible(colleague, "#notify-panel")
    colleague.screenshot(path=f"{SHOTS}-notification.png")
    entry.click()
    expect(colleague.locator(".tab-panel:not(.is-inactive) .form-title")).to_have_text(f"Mention {word}")
