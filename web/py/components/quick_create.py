"""Quick create: the header's "+" menu (case, account, contact, task, phone call), each a compact dialog with the
required fields and a few more. Saving creates the record and shows a notice whose "Open" link opens it in a new
session (``NavSource.QUICK_CREATE_NOTIFICATION``). What the agent typed stays in the dialog when the server refuses
it (the field error shows inline).
"""

from __future__ import annotations

from typing import Any

from apm.navigation import NavSource
from browser.dom import active_element, document, find_by_id, h, on
from casework.entities import entity
from casework.forms import FormState, new_record_base, server_field_errors
from casework.prefill import context_values
from casework.records import RecordError
from components.lookup import remember_name
from components.pages import Services, spawn
from components.record_form import FieldControl

QUICK_FIELDS: dict[str, tuple[str, ...]] = {
    "incident": ("title", "customerid", "prioritycode", "caseorigincode", "description"),
    "account": ("name", "accountnumber", "telephone1", "emailaddress1"),
    "contact": ("firstname", "lastname", "parentcustomerid", "emailaddress1", "telephone1"),
    "task": ("subject", "regardingobjectid", "scheduledend", "prioritycode", "description"),
    "phonecall": ("subject", "phonenumber", "directioncode", "regardingobjectid", "description"),
}


def install(services: Services) -> None:
    """Wire the header's quick-create button (``#quick-create-button``) to its menu."""
    button = find_by_id("quick-create-button")
    if button is None:
        return
    menu = h("div", {"class": "quick-create-menu", "id": "quick-create-menu", "role": "menu",
                     "aria-label": "Quick create", "hidden": True})
    items = []
    for logical in QUICK_FIELDS:
        item = h("button", {"type": "button", "role": "menuitem", "class": "quick-create-item",
                            "data-entity": logical, "tabindex": "-1"}, entity(logical).singular)
        on(item, "click", lambda _event, name=logical: choose(name))
        menu.appendChild(item)
        items.append(item)
    button.parentNode.insertBefore(menu, button.nextSibling)
    button.setAttribute("aria-controls", "quick-create-menu")
    button.setAttribute("aria-expanded", "false")
    button.removeAttribute("disabled")

    def set_open(opened: bool, focus_first: bool = True) -> None:
        menu.hidden = not opened
        button.setAttribute("aria-expanded", "true" if opened else "false")
        if opened and focus_first:
            items[0].focus()

    def choose(logical: str) -> None:
        set_open(False)
        button.focus()
        spawn(quick_create(services, logical, current_context(services, logical)), services.report)

    def menu_keys(event: Any) -> None:
        key = event.key
        active = active_element()
        current = items.index(active) if active in items else -1
        if key in ("ArrowDown", "ArrowUp", "Home", "End"):
            event.preventDefault()
            index = {"ArrowDown": current + 1, "ArrowUp": current - 1, "Home": 0, "End": -1}[key]
            items[index % len(items)].focus()
        elif key == "Escape":
            event.preventDefault()
            event.stopPropagation()
            set_open(False)
            button.focus()
        elif key == "Tab":
            set_open(False)

    def outside(event: Any) -> None:
        if not menu.hidden and not menu.contains(event.target) and not button.contains(event.target):
            set_open(False, False)

    on(button, "click", lambda _event: set_open(menu.hidden))
    on(button, "keydown", lambda event: (event.preventDefault(), set_open(True))
       if event.key in ("ArrowDown", "Enter", " ") and menu.hidden else None)
    on(menu, "keydown", menu_keys)
    on(document, "mousedown", outside)


def current_context(services: Services, logical: str) -> dict:
    """The values from the record the agent is on (``casework.prefill.context_values``): Regarding, Customer."""
    ws = services.workspace
    tab = ws.tabs.get(ws.focused_tab_id)
    if tab is None:
        return {}
    return context_values(logical, tab.record, tab.title)


async def quick_create(services: Services, logical: str, initial: dict | None = None) -> dict | None:
    """Show the quick-create dialog of ``logical``, its fields starting from ``initial`` (typed form values, e.g.
    from ``casework.prefill``); returns the created record (``None`` when cancelled)."""
    meta = entity(logical)
    state = FormState(meta, new_record_base(meta))
    for name, value in (initial or {}).items():
        state.set(name, value)
    controls: dict[str, FieldControl] = {}

    def edited(name: str, value: Any) -> None:
        state.set(name, value)
        controls[name].set_error(None)

    body = h("div", {"class": "quick-create-fields", "data-entity": logical})
    for name in QUICK_FIELDS[logical]:
        control = FieldControl(services, state.form_field(name), edited)
        controls[name] = control
        control.show(state.value(name))
        body.appendChild(control.element)
    general = h("p", {"class": "form-error", "role": "alert", "hidden": True})
    body.appendChild(general)

    def show_errors(errors: dict[str, str]) -> bool:
        shown = {name: message for name, message in errors.items() if name in controls}
        for name, control in controls.items():
            control.set_error(shown.get(name))
        rest = [message for name, message in errors.items() if name not in controls]
        general.textContent = " ".join(rest)
        general.hidden = not rest
        first = next((name for name in controls if name in shown), None)
        if first:
            controls[first].focus()
        return not errors

    def focus_first(_dialog: Any) -> None:
        next(iter(controls.values())).focus()

    while True:
        choice = await services.dialogs.show(
            f"Quick create: {meta.singular}", body, [("Cancel", None), ("Save", "save", "primary")],
            on_open=focus_first, validate=lambda _value: show_errors(state.validate()), label="quick-create-dialog")
        if choice is None:
            return None
        try:
            record = await services.client.create(meta.entity_set, state.create_body())
        except RecordError as error:
            message = error.message or f"The server answered {error.status}."
            show_errors(server_field_errors(meta, error.field, message))
            continue  # the dialog comes back with everything typed
        break
    record_id = meta.id_of(record)
    title = meta.title_of(record)
    remember_name(logical, record_id, title)
    services.notify(f"{meta.singular} created: {title}", "quick_create_saved",
                    action=("Open", lambda: services.open_record(logical, record_id,
                                                                 NavSource.QUICK_CREATE_NOTIFICATION,
                                                                 record=record)))
    return record
