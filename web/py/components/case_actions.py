"""Case actions: a form extension (``components.form_extensions``) for cases.

Commands in ``host.toolbar``: Resolve case (dialog: resolution required, status reason, description), Cancel case
(confirm with a status reason), Assign (search-as-you-type list of users) and Route to queue (pick a queue). The
server has no reactivate action, so there is no Reactivate command.

Every command first lets the form save pending edits (``await host.ensure_saved()``; nothing runs when it answers
False), then writes through the ``RecordClient`` with the ETag of ``host.record`` (If-Match). Success: the case the
server returned goes to ``host.apply_record`` and a notice says what happened. A 412 means someone else changed the
case: nothing is overwritten, the agent is told, and the form gets the current case. A server refusal (a role, a
closed case) is shown with the server's message; any other error shows inside the dialog, which opens again with
what the agent typed. A resolved or cancelled case shows its state and its commands are disabled (``aria-disabled``,
still reachable by Tab, with the reason as their tooltip). No keyboard shortcuts of their own: every command is a
button in the Tab order; in the dialogs Enter runs the default button and Escape cancels.
"""

from __future__ import annotations

import asyncio
from typing import Any

from browser.dom import build, clear, h, on, unique_id
from casework import case_actions as ca
from casework.access import open_activities_text
from casework.records import ConflictError, RecordError
from components.pages import spawn

SEARCH_DELAY_S = 0.15


def _field(label: str, control: Any, error_id: str | None = None, hint: str | None = None) -> Any:
    control_id = control.getAttribute("id")
    return h("div", {"class": "ca-field"}, h("label", {"for": control_id}, label), control,
             h("p", {"class": "ca-hint muted"}, hint) if hint else None,
             h("p", {"class": "ca-field-error", "id": error_id}) if error_id else None)


def _select(options: tuple[tuple[object, str], ...] | list[tuple[object, str]], **attrs: Any) -> Any:
    return h("select", {"id": unique_id("ca-select"), "class": "ca-input", **attrs},
             [h("option", {"value": str(value)}, label) for value, label in options])


def _set_error(element: Any, control: Any, message: str) -> None:
    element.textContent = message
    if control is None:
        return
    if message:
        control.setAttribute("aria-invalid", "true")
    else:
        control.removeAttribute("aria-invalid")


class CaseActions:
    """The case commands of one form (see the module docstring); ``install(host)`` creates them."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.services = host.services
        self.busy = False
        self.group, refs = build(
            ["div", {"class": "ca-commands", "role": "group", "aria-label": "Case actions"},
             [["button", {"type": "button", "class": f"ca-command ca-{command.key}", "data-command": command.key,
                          "$ref": command.key}, command.label] for command in ca.COMMANDS],
             ])
        self.buttons: dict[str, Any] = {command.key: refs[command.key] for command in ca.COMMANDS}
        on(self.group, "click", self._clicked)  # one listener for every command
        host.toolbar.appendChild(self.group)
        host.add_disposer(host.on_record(lambda _record: self.update()))
        if hasattr(host, "on_access"):
            host.add_disposer(host.on_access(self.update))
        self.update()

    # -- state ------------------------------------------------------------------------------------------------
    def update(self) -> None:
        """Enable or disable the commands for the case as the host has it now."""
        record = self.host.record
        states = self._states()
        for key, button in self.buttons.items():
            state = states[key]
            button.hidden = state.hidden
            button.setAttribute("title", state.title)
            if state.enabled and not self.busy:
                button.removeAttribute("aria-disabled")
            else:
                button.setAttribute("aria-disabled", "true")
        statecode = (record or {}).get("statecode")
        self.group.dataset.state = ca.state_label(statecode).lower() if record else "new"
        # the form's header says "Read-only" and why (``casework.access``); the commands do not repeat it

    def _states(self) -> dict[str, ca.CommandState]:
        access = getattr(self.host, "access", None)
        not_owner = access.reason if access is not None and access.code == "not_owner" else ""
        return ca.command_states(self.host.record, self.services.agent.roles, not_owner)

    def _clicked(self, event: Any) -> None:
        button = event.target.closest("button[data-command]")
        if button and str(button.dataset.command) in self.buttons:
            self.run(str(button.dataset.command))

    def run(self, key: str) -> None:
        """Run a command (a click or Enter on its button); a disabled one tells why instead."""
        state = self._states()[key]
        if self.busy:
            return
        if not state.enabled:
            self.services.notify(state.title, "case_action_disabled")
            return
        spawn(self._run(key), self.services.report)

    async def _run(self, key: str) -> None:
        self.busy = True
        self.update()
        try:
            if not await self.host.ensure_saved():
                return
            if not self._states()[key].enabled:
                return  # the save brought news: the case was closed meanwhile
            await {"resolve": self._resolve, "cancel": self._cancel, "assign": self._assign,
                   "route": self._route}[key]()
        finally:
            self.busy = False
            self.update()

    # -- talking to the server --------------------------------------------------------------------------------
    async def _send(self, action: Any, error_box: Any) -> dict | None:
        """Run ``action(case)``; returns the updated case, or ``None`` after telling the agent why not.
        Errors worth retrying are written into ``error_box`` (the dialog opens again); a caller seeing ``None``
        with an empty box stops."""
        error_box.textContent = ""
        try:
            return await action(self.host.record)
        except ConflictError as error:
            await self._conflict(error)
        except RecordError as error:
            message = error.message or f"The server answered {error.status}."
            if error.status in (401, 403, 404, 409):  # refused or gone: retrying the dialog would not help
                self.services.notify(message, error.code)
                if error.status == 409:
                    await self._reload()
            else:
                error_box.textContent = message
        except Exception as error:  # the network
            error_box.textContent = f"Could not reach the server ({error}). Try again."
        return None

    async def _conflict(self, error: ConflictError) -> None:
        self.services.notify("Someone else changed this case since you opened it. It now shows their version; "
                             "nothing was overwritten. Check it and try again.", "case_conflict")
        current = error.current
        if current:
            self.host.apply_record(current)
        else:
            await self._reload()

    async def _reload(self) -> None:
        record = self.host.record or {}
        if record.get("incidentid"):
            self.host.apply_record(await self.services.client.get("incidents", record["incidentid"]))

    async def _dialog_loop(self, title: str, body: Any, buttons: list[tuple], error_box: Any, validate: Any,
                           on_open: Any, action: Any, label: str) -> dict | None:
        """Show the dialog until the action succeeds, the agent cancels, or the server refuses for good."""
        while True:
            choice = await self.services.dialogs.show(title, body, buttons, on_open=on_open, validate=validate,
                                                      label=f"case-action-dialog {label}")
            if choice is None or choice is False:
                return None
            updated = await self._send(action, error_box)
            if updated is not None:
                self.host.apply_record(updated)
                return updated
            if not error_box.textContent:
                return None

    # -- the commands -----------------------------------------------------------------------------------------
    async def _resolve(self) -> None:
        errors = {name: unique_id(f"ca-{name}-error") for name in ("subject", "description", "statuscode")}
        subject = h("input", {"id": unique_id("ca-resolution"), "class": "ca-input", "type": "text", "maxlength": "300",
                              "autocomplete": "off", "aria-required": "true",
                              "aria-describedby": errors["subject"]})
        reason = _select(ca.RESOLVE_REASONS, **{"aria-describedby": errors["statuscode"]})
        description = h("textarea", {"id": unique_id("ca-description"), "class": "ca-input", "rows": "4",
                                     "aria-describedby": errors["description"]})
        error_box = h("p", {"class": "ca-error", "role": "alert"})
        still_open = await self._open_activities()
        body = h("div", {"class": "ca-form"},
                 h("p", {"class": "ca-open-activities", "role": "note"}, still_open) if still_open else None,
                 _field("Resolution (required)", subject, errors["subject"]),
                 _field("Status reason", reason, errors["statuscode"]),
                 _field("Description", description, errors["description"]), error_box)

        def validate(_value: object) -> bool:
            found = ca.validate_resolution(str(subject.value), str(description.value),
                                           ca.parse_reason(str(reason.value), ca.RESOLVE_REASONS))
            for name, control in (("subject", subject), ("description", description), ("statuscode", reason)):
                _set_error(body.querySelector(f"#{errors[name]}"), control, found.get(name, ""))
            for name, control in (("subject", subject), ("description", description), ("statuscode", reason)):
                if name in found:
                    control.focus()
                    break
            return not found

        def action(case: dict) -> Any:
            return self.services.client.resolve_case(
                case, str(subject.value).strip(), str(description.value).strip() or None,
                ca.parse_reason(str(reason.value), ca.RESOLVE_REASONS))

        if await self._dialog_loop("Resolve case", body, [("Cancel", None), ("Resolve", "resolve", "primary")],
                                   error_box, validate, lambda _dialog: subject.focus(), action, "resolve-dialog"):
            self.services.notify("Case resolved.", "case_resolved")

    async def _open_activities(self) -> str:
        """The sentence naming the case's open activities (``""``: none, or they could not be read)."""
        case_id = (self.host.record or {}).get("incidentid")
        if not case_id:
            return ""
        try:
            page = await self.services.client.list(
                "activitypointers", filter=ca.open_activities_filter(case_id),
                select=["activityid", "subject", "activitytypecode"], orderby="createdon asc", top=50)
        except RecordError:
            return ""  # the dialog still works; the warning is a help, not a gate
        return open_activities_text(page.records)

    async def _cancel(self) -> None:
        reason = _select(ca.CANCEL_REASONS)
        error_box = h("p", {"class": "ca-error", "role": "alert"})
        body = h("div", {"class": "ca-form"},
                 h("p", {"class": "dialog-text"}, "The case closes without a resolution and leaves its queue. "
                        "It cannot be edited afterwards."),
                 _field("Status reason", reason), error_box)

        def action(case: dict) -> Any:
            return self.services.client.cancel_case(case, ca.parse_reason(str(reason.value), ca.CANCEL_REASONS))

        if await self._dialog_loop("Cancel case", body, [("Keep case", None), ("Cancel case", "cancel", "danger")],
                                   error_box, None, None, action, "cancel-dialog"):
            self.services.notify("Case cancelled.", "case_cancelled")

    async def _route(self) -> None:
        try:
            queues = (await self.services.client.list("queues", select=["queueid", "name"], orderby="name asc",
                                                      top=200)).records
        except RecordError as error:
            self.services.notify(error.message, error.code)
            return
        current = (self.host.record or {}).get("queueid")
        error_id = unique_id("ca-queue-error")
        picker = _select([("", "Choose a queue…")] + [(q["queueid"], q["name"]) for q in queues],
                         **{"aria-required": "true", "aria-describedby": error_id})
        if current:
            picker.value = current
        error_box = h("p", {"class": "ca-error", "role": "alert"})
        body = h("div", {"class": "ca-form"}, _field("Queue", picker, error_id), error_box)
        names = {q["queueid"]: q["name"] for q in queues}

        def validate(_value: object) -> bool:
            message = "" if picker.value else "Choose a queue."
            _set_error(body.querySelector(f"#{error_id}"), picker, message)
            if message:
                picker.focus()
            return not message

        def action(case: dict) -> Any:
            return self.services.client.route_case(case, str(picker.value))

        if await self._dialog_loop("Route to queue", body, [("Cancel", None), ("Route", "route", "primary")],
                                   error_box, validate, lambda _dialog: picker.focus(), action, "route-dialog"):
            self.services.notify(f"Case routed to {names.get(str(picker.value), 'the queue')}.", "case_routed")

    async def _assign(self) -> None:
        picker = UserPicker(self.services)
        error_box = h("p", {"class": "ca-error", "role": "alert"})
        body = h("div", {"class": "ca-form"}, picker.element, error_box)

        def validate(_value: object) -> bool:
            return picker.check()

        def action(case: dict) -> Any:
            return self.services.client.assign_case(case, picker.selected_id or "")

        picker.search()
        if await self._dialog_loop("Assign case", body, [("Cancel", None), ("Assign", "assign", "primary")],
                                   error_box, validate, lambda _dialog: picker.input.focus(), action,
                                   "assign-dialog"):
            self.services.notify(f"Case assigned to {picker.selected_name}.", "case_assigned")


class UserPicker:
    """A combobox with a list of users that narrows as the agent types (ARIA combobox + listbox pattern):
    ArrowDown/ArrowUp move the selection, a click picks, Enter (the dialog's default) confirms."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.users: list[dict] = []
        self.selected_id: str | None = None
        self.selected_name = ""
        self._generation = 0
        list_id, error_id = unique_id("ca-users"), unique_id("ca-user-error")
        self.input = h("input", {"id": unique_id("ca-user-search"), "class": "ca-input", "type": "text",
                                 "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "true",
                                 "aria-controls": list_id, "autocomplete": "off", "aria-required": "true",
                                 "aria-describedby": error_id, "placeholder": "Type a name"})
        self.listbox = h("ul", {"id": list_id, "class": "ca-user-list", "role": "listbox", "aria-label": "Users"})
        self.error = h("p", {"class": "ca-field-error", "id": error_id})
        self.element = h("div", {"class": "ca-field"}, h("label", {"for": self.input.getAttribute("id")}, "User"),
                         self.input, self.listbox, self.error)
        on(self.input, "input", lambda _event: self.search())
        on(self.input, "keydown", self._on_key)

    def search(self) -> None:
        """Search for the typed text after a short pause (older answers are dropped)."""
        self._generation += 1
        self.listbox.setAttribute("aria-busy", "true")
        spawn(self._search(self._generation, str(self.input.value)), self.services.report)

    async def _search(self, generation: int, text: str) -> None:
        if text:
            await asyncio.sleep(SEARCH_DELAY_S)
        if generation != self._generation:
            return
        self.listbox.setAttribute("aria-busy", "true")
        try:
            page = await self.services.client.list(
                "systemusers", filter=ca.user_filter(text), select=["systemuserid", "fullname", "domainname"],
                orderby="fullname asc", top=8)
        except RecordError as error:
            self.error.textContent = error.message
            self.listbox.setAttribute("aria-busy", "false")
            return
        if generation != self._generation:
            return
        self.users = page.records
        self._render()
        self.listbox.setAttribute("aria-busy", "false")

    def _render(self) -> None:
        clear(self.listbox)
        if not self.users:
            self.listbox.appendChild(h("li", {"class": "ca-user-empty muted", "role": "presentation"},
                                       "No user matches."))
        for user in self.users:
            user_id = str(user["systemuserid"])
            option = h("li", {"class": "ca-user", "role": "option", "id": f"{self.listbox.id}-{user_id}",
                              "data-id": user_id, "aria-selected": "true" if user_id == self.selected_id else "false"},
                       h("span", {"class": "ca-user-name"}, user.get("fullname") or ""),
                       h("span", {"class": "ca-user-login muted"}, user.get("domainname") or ""))
            on(option, "mousedown", lambda event: event.preventDefault())  # keep focus in the input
            on(option, "click", lambda _event, u=user: self.pick(u))
            self.listbox.appendChild(option)

    def pick(self, user: dict) -> None:
        """Select ``user`` (the list stays; the input keeps what was typed)."""
        self.selected_id = str(user["systemuserid"])
        self.selected_name = str(user.get("fullname") or user.get("domainname") or "")
        self.input.setAttribute("aria-activedescendant", f"{self.listbox.id}-{self.selected_id}")
        _set_error(self.error, self.input, "")
        self._render()

    def _on_key(self, event: Any) -> None:
        if event.key not in ("ArrowDown", "ArrowUp") or not self.users:
            return
        event.preventDefault()
        ids = [str(user["systemuserid"]) for user in self.users]
        index = ids.index(self.selected_id) if self.selected_id in ids else -1
        index = (index + (1 if event.key == "ArrowDown" else -1)) % len(ids)
        self.pick(self.users[index])

    def check(self) -> bool:
        """Whether a user is picked (else the inline error says so)."""
        if self.selected_id:
            return True
        _set_error(self.error, self.input, "Pick a user from the list.")
        self.input.focus()
        return False


def install(host: Any) -> CaseActions:
    """The form extension: case commands in ``host.toolbar`` (see ``components.form_extensions``)."""
    return CaseActions(host)


__all__ = ["CaseActions", "UserPicker", "install"]
