"""The productivity pane in the right-hand rail: one tool at a time (Smart Assist, agent scripts, macros, knowledge
search), collapsible; open/closed and the tool are kept per session (session restore's extras, ``"pane"``), and so is
the agent-script progress (``"scripts"``). Tools are those of the agent's profile (``productivityTools``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import js
from pyodide.ffi import create_proxy

from apm.model import HOME_SESSION_ID
from browser.dom import clear, h, on
from browser.tasks import spawn
from casework import agent_scripts as scripts_core
from casework import knowledge as kb
from casework.macros import LogEntry, MacroRun
from casework.pane import TOOLS, PaneState, profile_tools
from components.knowledge import KnowledgeBrowser
from components.macro_host import PageMacroHost, macro_context, run_named_macro

if TYPE_CHECKING:
    from components.pages import Services

EMPTY_CASES = "No suggestions found for similar cases."
EMPTY_ARTICLES = "No suggestions found for knowledge article."
NO_SOURCE = "Open a case or a conversation in a session to see suggestions."
DEBOUNCE_MS = 800


async def api_json(services: Services, method: str, path: str, body: Any = None, params: dict | None = None) -> Any:
    _, _, payload = await services.client._call(method, path, body=body, params=params)  # noqa: SLF001
    return payload


def copy_text(text: str) -> None:
    try:
        js.navigator.clipboard.writeText(text)
    except Exception:  # noqa: BLE001 - no clipboard (insecure context): nothing to copy into
        pass


class ProductivityPane:
    """The pane: ``mount()`` once; it follows the focused session."""

    def __init__(self, services: Services, root: Any) -> None:
        self.services = services
        self.root = root
        self.tools = profile_tools(services.agent.profile)
        restored = services.restore.extras if services.restore is not None else {}
        self.states: dict[str, PaneState] = {
            sid: PaneState.from_json((extra or {}).get("pane"), self.tools) for sid, extra in restored.items()}
        self.progress_json: dict[str, Any] = {sid: (extra or {}).get("scripts") for sid, extra in restored.items()
                                              if isinstance(extra, dict) and "scripts" in extra}
        self.buttons: dict[str, Any] = {}
        self.macro_host = PageMacroHost(services, on_email=self.compose_email, on_kb_search=self.kb_search,
                                        on_script=self.focus_script)
        self.assist = SmartAssist(self)
        self.scripts = AgentScripts(self)
        self.macros = MacrosTool(self)
        self.knowledge = KnowledgeTool(self)
        self._shown: tuple[str, str | None, bool] | None = None

    # -- state
    @property
    def session_id(self) -> str:
        return self.services.workspace.focused_session_id

    def state(self) -> PaneState:
        return self.states.get(self.session_id, PaneState())

    def extras(self) -> dict:
        out: dict[str, dict] = {}
        for sid in self.services.workspace.sessions:
            entry: dict = {}
            if sid in self.states:
                entry["pane"] = self.states[sid].to_json()
            if self.progress_json.get(sid) is not None:
                entry["scripts"] = self.progress_json[sid]
            if entry:
                out[sid] = entry
        return out

    def touch(self) -> None:
        if self.services.restore is not None:
            self.services.restore.touch()

    def focused_case(self) -> str | None:
        """The focused session's case (its anchor record when that is a case)."""
        ws = self.services.workspace
        if self.session_id == HOME_SESSION_ID:
            return None
        session = ws.focused_session
        for tab_id in (session.focused_tab_id, *session.tab_ids):
            tab = ws.tabs.get(tab_id)
            record = tab.record if tab is not None else None
            if record and record[0] == "incident":
                return record[1]
        return None

    def focused_conversation(self) -> str | None:
        desk = self.services.conversations
        return desk.focused_conversation() if desk is not None else None

    def focused_source(self) -> tuple[str, str] | None:
        """What Smart Assist suggests for: the session's case, else its conversation."""
        case = self.focused_case()
        if case is not None:
            return ("incidents", case)
        conversation = self.focused_conversation()
        return ("conversations", conversation) if conversation else None

    # -- DOM
    def mount(self) -> None:
        root = self.root
        clear(root)
        rail = h("div", {"class": "pane-rail", "role": "toolbar", "aria-label": "Productivity tools",
                         "aria-orientation": "vertical"})
        for tool in self.tools:
            button = h("button", {"type": "button", "class": "pane-tool", "title": TOOLS[tool],
                                  "aria-label": TOOLS[tool], "aria-pressed": "false", "aria-controls": "pane-body",
                                  "data-tool": tool},
                       h("span", {"class": f"pane-icon pane-icon-{tool}", "aria-hidden": "true"}))
            on(button, "click", lambda _e, t=tool: self.choose(t))
            self.buttons[tool] = button
            rail.appendChild(button)
        self.heading = h("h2", {"class": "pane-title", "id": "pane-title"})
        self.collapse = h("button", {"type": "button", "class": "pane-collapse", "aria-label": "Collapse the pane",
                                     "title": "Collapse"}, "×")
        on(self.collapse, "click", lambda _e: self.set_open(False))
        self.content = h("div", {"class": "pane-content"})
        self.body = h("section", {"class": "pane-body", "id": "pane-body", "aria-labelledby": "pane-title",
                                  "hidden": True},
                      h("div", {"class": "pane-head"}, self.heading, self.collapse), self.content)
        root.appendChild(self.body)
        root.appendChild(rail)
        self.services.workspace.subscribe("*", self._event)
        self.services.bus.subscribe(self._record_changed)
        self.render()

    def conversation_message(self, event: dict) -> None:
        """A conversation's new message (from the desk): Smart Assist follows it, debounced."""
        source = self.focused_source()
        if source is not None and source[0] == "conversations" and event.get("conversationId") == source[1]:
            self.assist.changed()

    def _event(self, event: Any) -> None:
        name = getattr(event, "name", "") or getattr(event, "type", "")
        if str(name).startswith(("session.", "tab.")):
            self.render()

    def _record_changed(self, change: Any) -> None:
        case = self.focused_case()
        if case and (change.record_id == case or change.entity_set in ("annotations",)):
            self.assist.changed()

    def choose(self, tool: str) -> None:
        self.states[self.session_id] = self.state().choose(tool, self.tools)
        self.touch()
        self.render()

    def set_open(self, is_open: bool, tool: str | None = None) -> None:
        state = self.state()
        self.states[self.session_id] = PaneState(open=is_open and bool(self.tools), tool=tool or state.tool)
        self.touch()
        self.render()

    def render(self, force: bool = False) -> None:
        state = self.state()
        tool = state.shown_tool(self.tools)
        app = js.document.querySelector(".app")
        if app is not None:
            app.classList.toggle("pane-open", bool(state.open and tool))
        for name, button in self.buttons.items():
            button.setAttribute("aria-pressed", "true" if state.open and name == tool else "false")
        self.body.hidden = not (state.open and tool)
        key = (self.session_id, tool, state.open)
        if not state.open or tool is None or (key == self._shown and not force):
            self._shown = key if state.open else None
            return
        self._shown = key
        self.heading.textContent = TOOLS[tool]
        clear(self.content)
        {"smartassist": self.assist, "agentscripts": self.scripts, "macros": self.macros,
         "knowledge": self.knowledge}[tool].show(self.content)

    async def run_macro(self, name: str) -> MacroRun:
        """Run the macro ``name`` in the focused session (the macros tool's log shows it when open):
        ``Microsoft.ProductivityMacros.runMacro`` and ``handle.services.pane.run_macro`` from Python."""
        return await self.macros.run(name)

    # -- hooks from macros
    def kb_search(self, text: str) -> None:
        self.knowledge.query = text
        self.set_open(True, "knowledge")
        if self.state().tool == "knowledge":
            self.render(force=True)

    def focus_script(self, uniquename: str) -> None:
        self.progress_json[self.session_id] = scripts_core.Progress(uniquename).to_json()
        self.touch()

    def compose_email(self, case_id: str, template_id: str, recipients: str = "") -> None:
        EmailCompose(self.services).open(case_id, template_id, recipients)


class SmartAssist:
    """Similar cases and knowledge articles for the focused case."""

    def __init__(self, pane: ProductivityPane) -> None:
        self.pane = pane
        self.container: Any = None
        self.timer: Any = None
        self._fire = create_proxy(lambda: self.reload())
        self.hidden: set[str] = set()
        self.case: str | None = None
        self.conversation: str | None = None
        self.source: tuple[str, str] | None = None

    def show(self, container: Any) -> None:
        self.container = container
        self.reload()

    def changed(self) -> None:
        if self.timer is not None:
            js.clearTimeout(self.timer)
        self.timer = js.setTimeout(self._fire, DEBOUNCE_MS)

    def reload(self) -> None:
        self.timer = None
        container = self.container
        if container is None or not container.isConnected:
            return
        source = self.pane.focused_source()
        clear(container)
        if source is None:
            container.appendChild(h("p", {"class": "pane-empty"}, NO_SOURCE))
            return
        container.setAttribute("aria-busy", "true")
        spawn(self._load(source, container), self.pane.services.report)

    async def _load(self, source: tuple[str, str], container: Any) -> None:
        entity_set, record_id = source
        data = await api_json(self.pane.services, "GET", f"/{entity_set}({record_id})/suggestions",
                              params={"top": 5, "articles": 3})
        if container is not self.container or self.pane.focused_source() != source:
            return
        clear(container)
        container.removeAttribute("aria-busy")
        self.source = source
        self.case = record_id if entity_set == "incidents" else None
        self.conversation = record_id if entity_set == "conversations" else None
        for kind, title, empty in (("article", "Knowledge articles", EMPTY_ARTICLES),
                                   ("case", "Similar cases", EMPTY_CASES)):
            items = data.get(kind + "s") or []
            section = h("section", {"class": f"sa-section sa-{kind}s", "aria-label": title}, h("h3", None, title))
            cards = h("ul", {"class": "sa-cards"})
            for item in items:
                cards.appendChild(self.card(kind, item))
            section.appendChild(cards if items else h("p", {"class": "pane-empty"}, empty))
            container.appendChild(section)

    def card(self, kind: str, item: dict) -> Any:
        pct = round(float(item.get("confidence") or 0) * 100)
        status = ""
        if kind == "case":
            status = {0: "Active", 1: "Resolved", 2: "Cancelled"}.get(item.get("statecode"), "")
        head = h("div", {"class": "sa-card-head"},
                 h("button", {"type": "button", "class": "sa-open link-button"}, item.get("title") or "(no title)"),
                 h("span", {"class": "sa-confidence", "title": "Confidence"}, f"{pct}%"))
        card = h("li", {"class": "sa-card", "data-id": item["id"], "data-kind": kind}, head)
        if status:
            card.appendChild(h("p", {"class": "sa-status"}, status))
        if kind == "article" and "views" in item:
            card.appendChild(h("p", {"class": "sa-meta"}, " · ".join(
                (kb.views_text(item.get("views")), kb.rating_text(item.get("rating"), item.get("ratingcount"))))))
        text = item.get("resolution") if kind == "case" and item.get("resolution") else item.get("summary")
        if text:
            card.appendChild(h("p", {"class": "sa-summary"}, text))
        phrases = item.get("keyphrases") or []
        if phrases:
            card.appendChild(h("p", {"class": "sa-reason"}, "Matches: ", ", ".join(phrases)))
        actions = h("div", {"class": "sa-actions"})
        copy_label = "Copy resolution" if kind == "case" else "Copy URL"
        link = h("button", {"type": "button", "class": "sa-link", "aria-pressed": "false"}, "Link to case")
        copy = h("button", {"type": "button", "class": "sa-copy"}, copy_label)
        yes = h("button", {"type": "button", "class": "sa-yes"}, "Yes")
        no = h("button", {"type": "button", "class": "sa-no"}, "No")
        if self.case is not None:
            actions.appendChild(link)
        actions.appendChild(copy)
        if kind == "article" and self.conversation is not None:
            send = h("button", {"type": "button", "class": "sa-send"}, "Send to conversation")
            on(send, "click", lambda _e: self.send(item))
            actions.appendChild(send)
        actions.appendChild(h("span", {"class": "sa-feedback", "role": "group",
                                       "aria-label": f"Was {item.get('title')} useful?"}, "Useful? ", yes, no))
        card.appendChild(actions)
        entity_name = "incident" if kind == "case" else "knowledgearticle"
        on(head.firstChild, "click", lambda _e: self.open(entity_name, item))
        on(copy, "click", lambda _e: copy_text(
            item.get("resolution") or "" if kind == "case"
            else f"{js.window.location.origin}/#knowledgearticle/{item['id']}"))
        on(link, "click", lambda _e: spawn(self.link(kind, item, link), self.pane.services.report))
        on(yes, "click", lambda _e: spawn(self.feedback(kind, item, True, card), self.pane.services.report))
        on(no, "click", lambda _e: spawn(self.feedback(kind, item, False, card), self.pane.services.report))
        return card

    def open(self, entity_name: str, item: dict) -> None:
        ws = self.pane.services.workspace
        ws.create_tab("msdyn_entityrecord", {"entityName": entity_name, "entityId": item["id"],
                                             "title": item.get("title") or ""})

    async def link(self, kind: str, item: dict, button: Any, case: str | None = None) -> None:
        """Link: a note on the case naming the suggestion (unlink removes it)."""
        services = self.pane.services
        case = case or self.case
        linked = getattr(button, "_note", None)
        if button.getAttribute("aria-pressed") == "true" and linked:
            await api_json(services, "DELETE", f"/annotations({linked})")
            button.setAttribute("aria-pressed", "false")
            button.textContent = "Link to case"
            return
        note = await services.client.create("annotations", {
            "subject": f"Linked {'case' if kind == 'case' else 'article'}: {item.get('title')}",
            "notetext": f"{kind}:{item['id']}", "objectid": case, "objecttypecode": "incident"})
        button._note = note.get("annotationid")
        button.setAttribute("aria-pressed", "true")
        button.textContent = "Unlink"

    def send(self, item: dict) -> None:
        """The article's title, number and link into the conversation's message box (the agent sends it)."""
        desk = self.pane.services.conversations
        page = desk.pages.get(self.conversation) if desk is not None and self.conversation else None
        if page is not None:
            page.put_in_box(kb.article_message(item, kb.article_url(str(js.window.location.origin), item["id"])))

    async def feedback(self, kind: str, item: dict, useful: bool, card: Any) -> None:
        entity_set, record_id = self.source
        await api_json(self.pane.services, "POST", f"/{entity_set}({record_id})/suggestions/feedback",
                       body={"id": item["id"], "kind": kind, "useful": useful})
        if useful:
            card.classList.add("sa-useful")
            return
        self.reload()  # No: the server hides it for this case; the next suggestion takes its place


class MacrosTool:
    """The macro list with Run and the live step log."""

    def __init__(self, pane: ProductivityPane) -> None:
        self.pane = pane
        self.log: Any = None

    def show(self, container: Any) -> None:
        self.list = h("ul", {"class": "macro-list"})
        self.log = h("ol", {"class": "macro-log", "aria-live": "polite", "aria-label": "Macro log"})
        self.result = h("p", {"class": "macro-result", "role": "status"})
        container.appendChild(self.list)
        container.appendChild(h("h3", None, "Log"))
        container.appendChild(self.result)
        container.appendChild(self.log)
        spawn(self._load(), self.pane.services.report)

    async def _load(self) -> None:
        page = await self.pane.services.client.list("macros", orderby="name asc", top=100)
        clear(self.list)
        for row in page.records:
            button = h("button", {"type": "button", "class": "macro-run", "aria-label": f"Run {row['name']}"},
                       "Run")
            item = h("li", {"class": "macro-item"}, h("span", {"class": "macro-name"}, row["name"]), button)
            if row.get("description"):
                item.appendChild(h("p", {"class": "macro-desc"}, row["description"]))
            on(button, "click", lambda _e, n=row["name"]: spawn(self.run(n), self.pane.services.report))
            self.list.appendChild(item)

    def step(self, entry: LogEntry) -> None:
        if self.log is not None and self.log.isConnected:
            mark = {"done": "✓", "failed": "✗"}.get(entry.status, "–")
            self.log.appendChild(h("li", {"class": f"macro-step macro-{entry.status}"},
                                   f"{mark} {entry.step}. {entry.label}", f" — {entry.detail}" if entry.detail
                                   else None))

    async def run(self, name: str) -> MacroRun:
        shown = self.log is not None and self.log.isConnected
        if shown:
            clear(self.log)
            self.result.textContent = f"Running {name}…"
        run = await run_named_macro(self.pane.services, self.pane.macro_host, name, self.step)
        if shown:
            self.result.textContent = run.message
        return run


class AgentScripts:
    """The script menu, its steps (Mark as done / Run / View, tick or cross), progress per session."""

    def __init__(self, pane: ProductivityPane) -> None:
        self.pane = pane
        self.scripts: dict[str, scripts_core.Script] = {}
        self.order: list[scripts_core.Script] = []

    def show(self, container: Any) -> None:
        self.container = container
        spawn(self._load(container), self.pane.services.report)

    async def _load(self, container: Any) -> None:
        if not self.scripts:
            page = await self.pane.services.client.list("agentscripts", top=100)
            for row in page.records:
                try:
                    record = dict(row)
                    if isinstance(record.get("definition"), str):
                        record["definition"] = json.loads(record["definition"])
                    script = scripts_core.Script.from_record(record)
                except Exception:  # noqa: BLE001 - an invalid stored script is left out of the menu
                    continue
                self.scripts[script.uniquename] = script
                self.order.append(script)
        self.context = await macro_context(self.pane.services)
        sid = self.pane.session_id
        progress = scripts_core.Progress.from_json(self.pane.progress_json.get(sid), self.scripts)
        if progress is None:
            chosen = scripts_core.default_script(self.order, self.context)
            if chosen is None:
                clear(container)
                container.appendChild(h("p", {"class": "pane-empty"}, "No agent scripts."))
                return
            progress = scripts_core.Progress(chosen.uniquename)
        self.draw(container, progress)

    def save(self, progress: scripts_core.Progress) -> None:
        self.pane.progress_json[self.pane.session_id] = progress.to_json()
        self.pane.touch()
        if self.container.isConnected:
            self.draw(self.container, progress)

    def draw(self, container: Any, progress: scripts_core.Progress) -> None:
        clear(container)
        script = self.scripts[progress.script]
        menu = h("select", {"class": "script-menu", "aria-label": "Agent script"})
        for s in self.order:
            menu.appendChild(h("option", {"value": s.uniquename, "selected": s.uniquename == script.uniquename},
                               s.name))
        on(menu, "change", lambda _e: self.save(scripts_core.switch(self.scripts, str(menu.value))))
        container.appendChild(menu)
        if script.description:
            container.appendChild(h("p", {"class": "script-desc"}, script.description))
        steps = h("ol", {"class": "script-steps"})
        for index, step in enumerate(script.steps):
            title, body = scripts_core.step_text(step, self.context)
            state = progress.states.get(index)
            mark = {"done": "✓", "failed": "✗"}.get(state or "", "")
            label = {scripts_core.TEXT: "Mark as done", scripts_core.MACRO: "Run",
                     scripts_core.SCRIPT: "View"}[step.type]
            button = h("button", {"type": "button", "class": "script-action",
                                  "aria-label": f"{label}: {title}"}, label)
            item = h("li", {"class": "script-step", "data-state": state or "todo"},
                     h("span", {"class": "script-mark", "aria-label": {"done": "Done", "failed": "Failed"}.get(
                         state or "", "Not done"), "role": "img"}, mark or "○"),
                     h("span", {"class": "script-title"}, title), button)
            if body:
                item.appendChild(h("p", {"class": "script-body"}, body))
            if progress.messages.get(index):
                item.appendChild(h("p", {"class": "script-message"}, progress.messages[index]))
            on(button, "click", lambda _e, i=index, t=step.type: self.act(progress, script, i, t))
            steps.appendChild(item)
        container.appendChild(steps)

    def act(self, progress: scripts_core.Progress, script: scripts_core.Script, index: int, kind: int) -> None:
        if kind == scripts_core.TEXT:
            self.save(scripts_core.mark_done(progress, script, index))
        elif kind == scripts_core.SCRIPT:
            self.save(scripts_core.view_script(progress, script, index, self.scripts))
        else:
            async def run() -> None:
                self.save(await scripts_core.run_step(progress, script, index, lambda name: run_named_macro(
                    self.pane.services, self.pane.macro_host, name)))
            spawn(run(), self.pane.services.report)


class KnowledgeTool:
    """The pane's knowledge search (``components.knowledge.KnowledgeBrowser``): filters, article view, copy link,
    link to the case, send into the conversation; the query stays while the page lives."""

    def __init__(self, pane: ProductivityPane) -> None:
        self.pane = pane
        self.query = ""
        self._last = kb.KnowledgeQuery()

    def show(self, container: Any) -> None:
        start = self._last.with_text(self.query) if self.query != self._last.text else self._last
        browser = KnowledgeBrowser(self.pane.services, start, focused_case=self.pane.focused_case,
                                   on_query=self._remember)
        browser.show(container)

    def _remember(self, query: kb.KnowledgeQuery) -> None:
        self._last = query
        self.query = query.text


class EmailCompose:
    """The e-mail form from a template, slugs filled by the server; Send records it (demo: the outbox)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def open(self, case_id: str, template_id: str, recipients: str = "") -> None:
        spawn(self._open(case_id, template_id, recipients), self.services.report)

    async def _open(self, case_id: str, template_id: str, recipients: str) -> None:
        draft = await api_json(self.services, "POST", "/emails/compose",
                               body={"templateid": template_id, "regardingobjectid": case_id})
        to = h("input", {"type": "text", "class": "email-to", "value": recipients or draft.get("to") or ""})
        subject = h("input", {"type": "text", "class": "email-subject", "value": draft.get("subject") or ""})
        body = h("textarea", {"class": "email-body", "rows": "10"})
        body.value = draft.get("body") or ""
        form = h("div", {"class": "email-compose"},
                 h("label", None, "To", to), h("label", None, "Subject", subject), h("label", None, "Body", body))
        dialogs = self.services.dialogs
        choice = await dialogs.show("Send e-mail", form, [("Cancel", None), ("Send", "send", "primary")],
                                    label="email-dialog")
        if choice != "send":
            return
        sent = await api_json(self.services, "POST", "/emails/send", body={
            "regardingobjectid": case_id, "to": str(to.value), "subject": str(subject.value),
            "body": str(body.value)})
        self.services.notify("E-mail sent." if sent.get("transport") == "smtp" else
                             "E-mail recorded in the outbox (no mail server is set up).", "email_sent")


__all__ = ["EMPTY_ARTICLES", "EMPTY_CASES", "ProductivityPane"]


def install(services: Services) -> ProductivityPane:
    """Build the pane into ``#productivity-pane``, save its state with session restore, and expose
    ``Microsoft.ProductivityMacros.runMacro`` (web/js/apm.js) through the bridge."""
    from browser import apm_bridge
    from browser.dom import by_id

    pane = ProductivityPane(services, by_id("productivity-pane"))
    pane.mount()
    services.pane = pane
    if services.restore is not None:
        services.restore.extras_provider = pane.extras

    async def run_macro(name: object) -> dict:
        if not isinstance(name, str) or not name:
            return {"result": {"ok": False, "message": "runMacro needs the macro's name."}}
        try:
            run = await pane.run_macro(name)
        except Exception as error:  # noqa: BLE001 - a macro that cannot start rejects with its reason
            return {"result": {"ok": False, "message": str(error) or type(error).__name__}}
        return {"result": {"ok": run.ok, "message": run.message}}

    apm_bridge.register_async_call("runMacro", 1, run_macro)
    return pane
