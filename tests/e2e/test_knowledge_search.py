"""Knowledge search: the msdyn_omnichannel_kbsearch tab with its filters (product, keywords, language), the article
view with its view count and rating; and in a conversation session, Smart Assist ranked from the chat's messages
and an article sent into the conversation from the pane's knowledge tool."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import GuardedPages
from tests.e2e.support import Api
from tests.e2e.test_conversation_workspace import _agent, _set_offline, _shot, _start_chat


def test_the_kbsearch_tab_filters_and_shows_an_article_with_views_and_rating(pages: GuardedPages) -> None:
    page = pages.open("", user="agent3")
    page.evaluate("""() => Microsoft.Apm.createTab({templateName: "msdyn_omnichannel_kbsearch",
        appContext: new Map([["data", "printer offline"]]), isFocused: true})""")
    browser = page.locator(".kb-page:visible")
    expect(browser.get_by_label("Search knowledge articles")).to_have_value("printer offline")
    hits = browser.locator(".kb-hit")
    expect(hits.first).to_be_visible()
    expect(browser.locator(".kb-status")).to_have_text(re.compile(r"^\d+ articles?\.$"))
    product = browser.get_by_label("Product")
    expect(product.locator("option")).not_to_have_count(1)  # the facets arrived
    chosen = hits.first.locator(".kb-meta").inner_text().split(" · ")[1]
    product.select_option(label=chosen)
    expect(hits.first).to_be_visible()
    metas = hits.locator(".kb-meta").all_inner_texts()
    assert metas and all(m.split(" · ")[1] == chosen for m in metas), metas
    browser.get_by_label("Keywords").fill("nosuchkeywordzz")
    browser.get_by_role("button", name="Search").click()
    expect(browser.locator(".kb-status")).to_have_text("No knowledge articles found.")
    browser.get_by_label("Keywords").fill("")
    browser.get_by_role("button", name="Search").click()
    expect(hits.first).to_be_visible()
    assert_accessible(page, ".kb-page")
    _shot(page, "kbsearch-results")

    api = Api(page.context.request, pages.server.url)
    first_id = hits.first.get_attribute("data-id")
    before = api.get(f"knowledgearticles({first_id})")["knowledgearticleviews"]
    hits.first.locator(".kb-open").click()
    article = browser.locator(".kb-article")
    expect(article).to_be_visible()
    expect(article.locator(".kb-meta")).to_contain_text(f"{before + 1:,} view")
    expect(article.locator(".kb-content")).to_contain_text("Resolution:")
    article.get_by_role("button", name="Rate 4 of 5").click()
    expect(article.get_by_role("button", name="Rate 4 of 5")).to_have_attribute("aria-pressed", "true")
    expect(article.locator(".kb-meta")).to_contain_text(re.compile(r"of 5 \(\d+ ratings?\)"))
    assert api.get(f"knowledgearticles({first_id})")["knowledgearticleviews"] == before + 1
    assert_accessible(page, ".kb-page")
    _shot(page, "kbsearch-article")
    article.get_by_role("button", name="← Back to results").click()
    expect(hits.first).to_be_visible()


def test_smart_assist_and_knowledge_send_articles_into_the_conversation(pages: GuardedPages) -> None:
    agent = _agent(pages)
    try:
        customer = _start_chat(pages, "Kim Knowledge", "My office laser printer shows offline")
        customer.get_by_label("Message").fill("Since the new driver every print job sits in the queue")
        customer.get_by_label("Message").press("Enter")
        agent.locator(".offer-card").get_by_role("button", name="Accept").click()
        expect(agent.locator(".conversation-page:visible .transcript li")).to_have_count(2)

        agent.locator("#productivity-pane .pane-tool[data-tool='smartassist']").click()
        cards = agent.locator("#pane-body .sa-articles .sa-card")
        expect(cards.first).to_be_visible()
        titles = cards.locator(".sa-open").all_inner_texts()
        assert titles and all("Print" in t for t in titles), titles
        expect(cards.first.locator(".sa-link")).to_have_count(0)  # no case in this session
        cards.first.locator(".sa-send").click()
        box = agent.get_by_label("Message", exact=True)
        expect(box).to_have_value(re.compile(r"^.*Print.* \(KA-\d+\): http://.+/#knowledgearticle/[0-9a-f-]{36}$"))
        assert_accessible(agent, "#productivity-pane")
        _shot(agent, "smart-assist-conversation")
        box.press("Enter")
        expect(customer.locator("#transcript li").nth(2).locator(".text")).to_contain_text("#knowledgearticle/")

        agent.locator("#productivity-pane .pane-tool[data-tool='knowledge']").click()
        agent.locator("#pane-body .kb-query").fill("printer driver")
        agent.locator("#pane-body .kb-form button[type=submit]").click()
        hit = agent.locator("#pane-body .kb-hit").first
        expect(hit).to_be_visible()
        hit.locator(".kb-send").click()
        expect(box).to_have_value(re.compile(r"\(KA-\d+\): http://"))
        expect(agent.locator("#pane-body .kb-status")).to_have_text(
            "The article link is in the conversation's message box.")
    finally:
        _set_offline(agent)
