"""The page's macro host routes the omnichannel connector's actions to the conversation desk of the focused
session's conversation, and clones through the records client (CPython: ``components.macro_host`` touches no
``js``; the desk, client and workspace here are fakes that record the calls)."""

from __future__ import annotations

from types import SimpleNamespace

from casework.macros import MacroContext, run_macro
from components.macro_host import PageMacroHost
from tests.support.aio import run

ARTICLE_ID = "a1000000-0000-0000-0000-000000000001"


class FakeDesk:
    def __init__(self, conversation: str | None) -> None:
        self.conversation = conversation
        self.calls: list[tuple] = []

    def focused_conversation(self) -> str | None:
        return self.conversation

    async def link_record(self, conversation_id: str, entity_name: str, record_id: object) -> dict:
        self.calls.append(("link", conversation_id, entity_name, record_id))
        return {}

    async def send_article(self, conversation_id: str, article: dict) -> None:
        self.calls.append(("article", conversation_id, article["id"], article.get("title")))


class FakeClient:
    def __init__(self) -> None:
        self.searches: list[dict] = []
        self.records = {("knowledgearticles", ARTICLE_ID): {"knowledgearticleid": ARTICLE_ID, "title": "Reset it",
                                                            "articlepublicnumber": "KA-1"},
                        ("incidents", "c1"): {"incidentid": "c1", "title": "Source", "description": "Text"}}

    async def get(self, entity_set: str, record_id: str) -> dict:
        return dict(self.records[(entity_set, record_id)])

    async def _call(self, method: str, path: str, *, body=None, params=None):
        assert (method, path) == ("GET", "/knowledge/search")
        self.searches.append(params)
        hits = [{"id": "hit-1", "title": "Printer offline"}] if "printer" in params["q"] else []
        return 200, {}, {"value": hits}


class FakeWorkspace:
    def __init__(self) -> None:
        self.created: list[tuple] = []
        self.focused_tab_id = "tab-1"
        self.tabs = {"tab-1": SimpleNamespace(tab_id="tab-1", record=("incident", "c1"))}

    def create_tab(self, template: str, params: dict) -> str:
        self.created.append((template, params))
        return f"tab-{len(self.created) + 1}"


def host(conversation: str | None = "conv-1") -> PageMacroHost:
    services = SimpleNamespace(conversations=FakeDesk(conversation), client=FakeClient(), workspace=FakeWorkspace())
    return PageMacroHost(services, on_kb_search=lambda _text: None)


def macro(*steps: dict) -> dict:
    return {"schema": 1, "steps": [{"action": "start"}, *steps]}


def test_link_and_unlink_go_to_the_focused_conversation() -> None:
    page = host()
    result = run(run_macro("link", macro(
        {"action": "link_conversation", "fields": {"entityName": "incident", "entityId": "c1", "primaryName": "A"}},
        {"action": "unlink_conversation", "fields": {"entityName": "contact", "entityId": "p1", "primaryName": "B"}}),
        page, MacroContext()))
    assert result.ok, result.message
    assert page.services.conversations.calls == [("link", "conv-1", "incident", "c1"),
                                                 ("link", "conv-1", "contact", None)]


def test_send_kb_article_sends_the_named_article_or_the_searchs_first_hit() -> None:
    page = host()
    result = run(run_macro("kb", macro(
        {"action": "kb_search", "fields": {"searchString": "printer offline"}},
        {"action": "send_kb_article", "fields": {}},
        {"action": "send_kb_article", "fields": {"articleId": ARTICLE_ID}}), page, MacroContext()))
    assert result.ok, result.message
    assert page.services.conversations.calls == [("article", "conv-1", "hit-1", "Printer offline"),
                                                 ("article", "conv-1", ARTICLE_ID, "Reset it")]
    assert page.services.client.searches == [{"q": "printer offline", "top": "1"}]


def test_a_search_without_hits_fails_the_send_step_naming_the_phrase() -> None:
    page = host()
    result = run(run_macro("kb", macro(
        {"action": "kb_search", "fields": {"searchString": "zzz"}}, {"action": "send_kb_article", "fields": {}}),
        page, MacroContext()))
    assert not result.ok
    assert 'the knowledge search for "zzz" found no article' in result.message
    assert page.services.conversations.calls == []


def test_without_a_conversation_the_omnichannel_steps_fail_with_the_reason() -> None:
    page = host(conversation=None)
    result = run(run_macro("link", macro(
        {"action": "link_conversation", "fields": {"entityName": "incident", "entityId": "c1", "primaryName": "A"}}),
        page, MacroContext()))
    assert not result.ok and "the session has no conversation" in result.message


def test_a_conversation_links_only_what_the_server_takes() -> None:
    page = host()
    result = run(run_macro("link", macro(
        {"action": "link_conversation", "fields": {"entityName": "task", "entityId": "t1", "primaryName": "A"}}),
        page, MacroContext()))
    assert not result.ok and "not 'task'" in result.message
    assert page.services.conversations.calls == []


def test_clone_current_record_opens_a_new_form_with_the_records_fields() -> None:
    page = host()
    result = run(run_macro("clone", macro({"action": "clone_current_record", "fields": {"recordTitle": "Copy"}}),
                           page, MacroContext()))
    assert result.ok, result.message
    template, params = page.services.workspace.created[0]
    assert template == "msdyn_entityrecord" and params["entityName"] == "incident" and "entityId" not in params
    assert params["data"] == {"title": "Copy", "description": "Text"}
