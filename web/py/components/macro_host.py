"""The page's macro host: ``casework.macros.MacroHost`` over the workspace (``Microsoft.Apm``'s model), the records
client and the open record forms. Each method takes the action's documented fields; a refusal raises (its text is
the step's reason in the log)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apm.navigation import NavSource
from casework.entities import entity
from casework.macros import MacroContext, MacroRun, run_macro
from casework.prefill import clone_data

if TYPE_CHECKING:
    from components.pages import Services


LINKABLE = ("account", "contact", "incident")  # what POST /api/conversations(<id>)/link takes


class MacroUnavailable(Exception):
    """An action this page cannot do."""


class PageMacroHost:
    """Runs macro actions in this page. ``on_email(case_id, template_id, recipients)`` opens the compose form;
    ``on_kb_search(text)`` the knowledge tool; ``on_script(uniquename)`` switches the agent script."""

    def __init__(self, services: Services, *, on_email: Callable[..., Any] | None = None,
                 on_kb_search: Callable[[str], Any] | None = None,
                 on_script: Callable[[str], Any] | None = None) -> None:
        self.services = services
        self.on_email = on_email
        self.on_kb_search = on_kb_search
        self.on_script = on_script
        self.last_search = ""  # the phrase of the last "Search the knowledge base" step (for send_kb_article)

    # -- helpers
    @property
    def workspace(self):
        return self.services.workspace

    def _focused_tab(self):
        ws = self.workspace
        return ws.tabs[ws.focused_tab_id]

    def _form(self):
        host = self.services.host
        page = host.page(self.workspace.focused_tab_id) if host is not None else None
        if page is None or not hasattr(page, "controls"):
            raise MacroUnavailable("the focused tab is not a record form")
        return page

    def current_tab(self) -> dict:
        tab = self._focused_tab()
        record = tab.record or ("", "")
        return {"tabId": tab.tab_id, "entityName": record[0], "entityId": record[1]}

    # -- productivity automation
    def open_new_form(self, entityName: str, formId: str = "", attributes: dict | None = None) -> dict:
        opened = self.services.open_record(entityName, None, NavSource.CREATE_RECORD, record=attributes or None)
        return {"tabId": opened[1] if opened else "", "entityName": entityName}

    def open_record(self, entityName: str, entityId: str, formId: str = "") -> dict:
        meta = entity(entityName)
        tab_id = self.workspace.create_tab("msdyn_entityrecord", {
            "entityName": meta.logical, "entityId": entityId, "title": meta.singular})
        return {"tabId": tab_id, "entityName": meta.logical}

    def autofill_form(self, entityName: str, attributes: dict | None = None) -> None:
        page = self._form()
        if page.entity.logical != entity(entityName).logical:
            raise MacroUnavailable(f"the focused form shows {page.entity.logical}, not {entityName}")
        for name, value in (attributes or {}).items():
            if name not in page.controls:
                raise MacroUnavailable(f"the form has no field {name!r}")
            page._edited(name, value)
            page.controls[name].show(value)

    async def update_record(self, entityName: str, entityId: str, attributes: dict | None = None) -> None:
        meta = entity(entityName)
        client = self.services.client
        record = await client.get(meta.entity_set, entityId)
        await client.update(meta.entity_set, record, dict(attributes or {}))

    async def resolve_case(self, billableTime: str, incidentId: str, resolution: str) -> None:
        client = self.services.client
        case = await client.get("incidents", incidentId)
        await client.resolve_case(case, resolution)

    def open_email_template(self, entityName: str, entityId: str, recipients: str, templateId: str) -> None:
        if self.on_email is None:
            raise MacroUnavailable("e-mail is not available")
        self.on_email(entityId, templateId, recipients)

    def open_grid(self, entityName: str, viewId: str, viewType: str) -> dict:
        meta = entity(entityName)
        tab_id = self.workspace.create_tab("msdyn_entitylist", {"entityName": meta.logical, "viewId": viewId,
                                                                "title": meta.plural})
        return {"tabId": tab_id}

    def kb_search(self, searchString: str = "", tabLabel: str = "") -> None:
        self.last_search = searchString
        if self.on_kb_search is None:
            raise MacroUnavailable("knowledge search is not available")
        self.on_kb_search(searchString)

    def relevance_search(self, searchString: str) -> dict:
        tab_id = self.workspace.create_tab("msdyn_search", {"searchText": searchString})
        return {"tabId": tab_id}

    def set_script_focus(self, scriptUniqueName: str) -> None:
        if self.on_script is None:
            raise MacroUnavailable("agent scripts are not available")
        self.on_script(scriptUniqueName)

    async def clone_current_record(self, recordTitle: str) -> dict:
        """A new form of the focused tab's record's entity with its fields (``casework.prefill.clone_data``),
        titled ``recordTitle``; not saved (the reference)."""
        tab = self._focused_tab()
        if tab.record is None or not tab.record[1]:
            raise MacroUnavailable("the focused tab shows no saved record to clone")
        return await self.clone_input_record(tab.record[0], tab.record[1], recordTitle)

    async def clone_input_record(self, entityName: str, entityId: str, recordTitle: str = "") -> dict:
        """A new form of ``entityName`` prefilled from the record ``entityId`` (read fresh), not saved."""
        try:
            meta = entity(entityName)
        except KeyError:
            raise MacroUnavailable(f"unknown entity {entityName!r}") from None
        source = await self.services.client.get(meta.entity_set, entityId)
        data = clone_data(meta, source, recordTitle)
        tab_id = self.workspace.create_tab("msdyn_entityrecord", {
            "entityName": meta.logical, "data": data, "title": f"New {meta.singular.lower()}"})
        return {"tabId": tab_id, "entityName": meta.logical}

    def open_kb_article(self, entityId: str) -> dict:
        return self.open_record("knowledgearticle", entityId)

    async def save_record(self) -> None:
        page = self._form()
        if not await page.save():
            raise MacroUnavailable(page.status.textContent or "the record was not saved")

    # -- session connector
    def get_current_tab(self) -> dict:
        return {"tabId": self.workspace.focused_tab_id}

    def refresh_tab(self, tabId: str) -> None:
        self.workspace.refresh_tab(tabId)

    def focus_tab(self, tabId: str) -> None:
        self.workspace.focus_tab(tabId)

    def open_application_tab(self, pageType: str, templateId: str = "", attributes: dict | None = None) -> dict:
        tab_id = self.workspace.create_tab(templateId or "msdyn_entityrecord", dict(attributes or {}))
        return {"tabId": tab_id, "pageType": pageType}

    def refresh_session_context(self) -> dict:
        session = self.workspace.focused_session
        return {"session": dict(getattr(session, "context", {}) or {})}

    def set_session_context(self, attributeName: str, attributeValue: str = "") -> None:
        session = self.workspace.focused_session
        context = getattr(session, "context", None)
        if context is None:
            raise MacroUnavailable("the session has no context")
        context[attributeName] = attributeValue

    # -- omnichannel connector: the focused session's conversation, through the conversation desk
    def _conversation(self) -> tuple[Any, str]:
        desk = self.services.conversations
        conversation = desk.focused_conversation() if desk is not None else None
        if not conversation:
            raise MacroUnavailable("the session has no conversation")
        return desk, conversation

    async def link_conversation(self, entityName: str, entityId: str, primaryName: str) -> None:
        desk, conversation = self._conversation()
        if entityName not in LINKABLE:
            raise MacroUnavailable(f"a conversation links an account, a contact or a case, not {entityName!r}")
        await desk.link_record(conversation, entityName, entityId)

    async def unlink_conversation(self, entityName: str, entityId: str, primaryName: str) -> None:
        desk, conversation = self._conversation()
        if entityName not in LINKABLE:
            raise MacroUnavailable(f"a conversation links an account, a contact or a case, not {entityName!r}")
        await desk.link_record(conversation, entityName, None)

    async def send_kb_article(self, articleId: str = "") -> dict:
        """Send the article ``articleId`` (else the first hit of this macro's knowledge search) into the
        conversation: its title, number and link."""
        desk, conversation = self._conversation()
        client = self.services.client
        if articleId:
            record = await client.get("knowledgearticles", articleId)
            article = {"id": record["knowledgearticleid"], "title": record.get("title"),
                       "articlepublicnumber": record.get("articlepublicnumber")}
        else:
            if not self.last_search.strip():
                raise MacroUnavailable("no knowledge search phrase to take an article from")
            _, _, answer = await client._call("GET", "/knowledge/search",  # noqa: SLF001 - no record set
                                              params={"q": self.last_search.strip()[:200], "top": "1"})
            hits = (answer or {}).get("value") or []
            if not hits:
                raise MacroUnavailable(f'the knowledge search for "{self.last_search}" found no article')
            article = hits[0]
        await desk.send_article(conversation, article)
        return {"articleId": article["id"]}


async def macro_context(services: Services) -> MacroContext:
    """The focused session's context: its anchor record (read fresh), the session context and the anchor tab."""
    ws = services.workspace
    session = ws.focused_session
    context = MacroContext(session=dict(getattr(session, "context", {}) or {}))
    anchor_id = session.tab_ids[0] if session.tab_ids else None
    tab = ws.tabs.get(anchor_id) if anchor_id else None
    record = tab.record if tab is not None else None
    if record is not None:
        context.anchor_tab = {"entityName": record[0], "entityId": record[1]}
        try:
            context.anchor = await services.client.get(entity(record[0]).entity_set, record[1])
        except Exception:  # noqa: BLE001 - a record that cannot be read leaves its slugs empty
            context.anchor = {}
    return context


async def run_named_macro(services: Services, host: PageMacroHost, name: str,
                          on_step: Callable[..., Any] | None = None) -> MacroRun:
    """Read the macro ``name`` from ``/api/macros`` and run it in the focused session."""
    page = await services.client.list("macros", filter=f"name eq '{name.replace(chr(39), chr(39) * 2)}'")
    rows = page.records
    if not rows:
        raise MacroUnavailable(f'No macro named "{name}".')
    context = await macro_context(services)
    definition = rows[0]["definition"]
    if isinstance(definition, str):
        definition = json.loads(definition)
    return await run_macro(name, definition, host, context, on_step)


__all__ = ["MacroUnavailable", "PageMacroHost", "macro_context", "run_named_macro"]
