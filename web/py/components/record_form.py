"""The record form page: a case, account, contact, activity or knowledge article in a tab, editable.

Layout: a header (title, entity, key fields such as the case number, status, priority and owner), a toolbar (Save
and the buttons form extensions add), notices of the form itself (a record changed elsewhere, a conflict, errors),
the sections of ``casework.entities`` and a side column for extensions (the case timeline).

All rules live in ``casework.forms.FormState`` (dirty fields, PATCH body, validation, conflict merge, drafts); this
module wires them to the DOM:

* every edit updates the state, the tab's unsaved marker (``Page.set_dirty``) and the restorable draft
  (``Page.state_changed`` → ``view_state``);
* Save (button or Ctrl+S on the panel; the browser's own save dialog never shows) validates, then PATCHes only the
  changed fields with the record's ETag (POST for a new record); field errors show inline (``aria-invalid`` +
  ``aria-describedby``) and what was typed stays;
* a 412 shows the conflict panel: field, their value, my value, with "Reload theirs" and "Keep mine and re-apply";
* the record bus: a change saved elsewhere refreshes the form at once, or, with unsaved edits, offers a review in a
  non-blocking banner;
* the DOM is built once per tab and kept while the agent switches tabs and sessions.

It is the host of form extensions (``components.form_extensions``): ``toolbar``, ``side``, ``record``,
``record_id``, ``on_record``, ``ensure_saved``, ``apply_record``, ``add_disposer``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import js

from apm.errors import ApmError
from browser.dom import build, clear, h, mark, next_frame, on, unique_id
from casework.access import EDITABLE, Access, edit_access
from casework.entities import (
    ACTIVITY_PRIORITY,
    ACTIVITY_STATE,
    ARTICLE_STATE,
    CASE_STATE,
    PRIORITY,
    Entity,
    FormField,
    choice_label,
    entity,
)
from casework.forms import (
    ETAG,
    Conflict,
    FormState,
    display_text,
    from_input,
    input_text,
    new_record_base,
    parse_draft,
    server_field_errors,
)
from casework.prefill import PrefillError, form_values
from casework.recordbus import DELETED, RecordChange
from casework.records import ConflictError, RecordError
from casework.session_labels import anchor_attributes
from components.form_extensions import extensions_for, start_now
from components.lookup import Lookup, known_name, remember_name, resolve_name
from components.pages import Page, Services

FORM_ENTITIES = ("incident", "account", "contact", "task", "email", "phonecall", "appointment", "knowledgearticle",
                 "annotation")

_OWNER = FormField("ownerid", "Owner", "lookup", target=("systemusers",))
_ACTIVITY_HEADER = (FormField("statecode", "Status", "choice", choices=ACTIVITY_STATE),
                    FormField("prioritycode", "Priority", "choice", choices=ACTIVITY_PRIORITY),
                    FormField("scheduledend", "Due", "datetime"), _OWNER)
HEADER_FIELDS: dict[str, tuple[FormField, ...]] = {
    "incident": (FormField("ticketnumber", "Case number", "readonly"),
                 FormField("statecode", "Status", "choice", choices=CASE_STATE),
                 FormField("prioritycode", "Priority", "choice", choices=PRIORITY), _OWNER),
    "account": (FormField("accountnumber", "Account number", "readonly"),
                FormField("address1_city", "City", "readonly"), _OWNER),
    "contact": (FormField("jobtitle", "Job title", "readonly"), FormField("emailaddress1", "Email", "readonly"),
                _OWNER),
    "task": _ACTIVITY_HEADER, "email": _ACTIVITY_HEADER, "phonecall": _ACTIVITY_HEADER,
    "appointment": _ACTIVITY_HEADER,
    "knowledgearticle": (FormField("articlepublicnumber", "Article number", "readonly"),
                         FormField("statecode", "Status", "choice", choices=ARTICLE_STATE),
                         FormField("knowledgearticleviews", "Views", "readonly")),
}

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _now_ms() -> int:
    return int(time.time() * 1000)


FIX_FIELDS = "Fix the highlighted fields."


class FieldControl:
    """One field on a form: its label, input (by kind), and inline error.

    Args:
        services: For lookups (search, open).
        field: The form field.
        on_input: ``on_input(name, typed_value)`` on every edit.
    """

    def __init__(self, services: Services, field: FormField, on_input: Callable[[str, Any], None], *,
                 deferred: bool = False) -> None:
        self.field = field
        self.on_input = on_input
        self.input_id = unique_id(f"field-{field.name}")
        self.error_id = self.input_id + "-error"
        self.lookup: Lookup | None = None
        self._has_empty_choice = False
        self._shown_text: str | None = ""  # what the input shows (set by ``show`` or typed): no DOM read to compare
        self._changed = False
        self._locked = False
        self._extra_option: Any = None  # a value the form shows but never offers (a closed case's status reason)
        kind = field.kind
        if kind == "lookup":
            self.lookup = Lookup(services, field, self.input_id, lambda value: on_input(field.name, value),
                                 readonly=field.readonly, deferred=True, required=field.required)
            control = self.lookup.spec
        else:
            attrs: dict[str, Any] = {"id": self.input_id, "class": "field-input", "$ref": self.input_id}
            tag, options = "input", []
            if kind == "multiline":
                tag, attrs["rows"] = "textarea", "5"
            elif kind == "choice":
                tag, options = "select", self._choice_specs(None)
            elif kind == "bool":
                attrs.update({"type": "checkbox", "class": "field-check"})
            elif kind == "datetime":
                attrs["type"] = "datetime-local"
            elif kind == "number":
                attrs["type"] = "number"
            elif kind == "readonly":
                attrs.update({"type": "text", "readonly": True})
            else:
                attrs.update({"type": "text", "autocomplete": "off"})
            if field.required:
                attrs["aria-required"] = "true"
            control = [tag, attrs, *options]
        label = ["label", {"for": self.input_id, "class": "field-label"}, field.label,
                 ["span", {"class": "field-required", "aria-hidden": "true"}, " *"] if field.required else None]
        #: The control as a ``browser.dom.build`` node: a form builds all its fields in one call, then ``bind``s them.
        self.spec = ["div", {"class": f"form-field field-{kind}", "data-field": field.name,
                             "$ref": self.input_id + ":field"},
                     label, control, ["p", {"class": "field-error", "id": self.error_id, "hidden": True,
                                           "$ref": self.error_id}]]
        if not deferred:
            _root, refs = build(self.spec)
            self.bind(refs, delegated=False)

    @property
    def edit_event(self) -> str | None:
        """The DOM event that means an edit of this control (``None``: lookups report their own; read-only)."""
        kind = self.field.kind
        if kind in ("lookup", "readonly"):
            return None
        return "change" if kind in ("choice", "bool") else "input"

    def bind(self, refs: dict[str, Any], *, delegated: bool) -> None:
        """Take this control's elements from a built tree (``delegated``: its container forwards edit events to
        ``edited``, otherwise it listens itself)."""
        self.element = refs[self.input_id + ":field"]
        self.error = refs[self.error_id]
        if self.lookup is not None:
            self.lookup.bind(refs)
            self.input = self.lookup.input
        else:
            self.input = refs[self.input_id]
        event = self.edit_event
        if event and not delegated:
            on(self.input, event, lambda _event: self.edited())

    def _choice_specs(self, value: Any) -> list:
        self._has_empty_choice = value is None
        # an empty choice only when the record has none (the server refuses clearing most)
        empty = [["option", {"value": ""}, "—"]] if value is None else []
        return empty + [["option", {"value": str(option)}, label] for option, label in self.field.choices]

    def _fill_choices(self, value: Any) -> None:
        if (value is None) == self._has_empty_choice:
            return  # the options are already these
        if value is None:
            self.input.insertBefore(h("option", {"value": ""}, "—"), self.input.firstChild)
        else:
            self.input.remove(0)  # the empty option
        self._has_empty_choice = value is None

    def _show_extra_choice(self, value: Any) -> None:
        offered = value is None or any(str(option) == str(value) for option, _label in self.field.choices)
        if offered:
            if self._extra_option is not None:
                self._extra_option.remove()
                self._extra_option = None
            return
        label = choice_label(self.field.shown_choices, value)
        if self._extra_option is None:
            self._extra_option = h("option", {"value": str(value), "disabled": True}, label)
            self.input.appendChild(self._extra_option)
        else:
            self._extra_option.value = str(value)
            self._extra_option.textContent = label

    def set_locked(self, locked: bool) -> None:
        """Read-only (a closed or not-mine record): text stays selectable, choices and checkboxes are disabled."""
        if locked == self._locked or self.field.kind == "readonly" or self.field.readonly:
            return
        self._locked = locked
        self.element.classList.toggle("is-locked", locked)
        if self.lookup is not None:
            self.lookup.set_locked(locked)
        elif self.field.kind in ("choice", "bool"):
            self.input.disabled = locked
        else:
            self.input.readOnly = locked  # native read-only: announced as such, its text still selectable

    def edited(self) -> None:
        """The agent edited the input: report its typed value."""
        if self.field.kind == "bool":
            self.on_input(self.field.name, bool(self.input.checked))
        else:
            self._shown_text = typed = str(self.input.value)
            self.on_input(self.field.name, from_input(self.field, typed))

    def show(self, value: Any) -> None:
        """Show a typed value (leaves the input alone when it already shows it: the caret stays put)."""
        if self.lookup is not None:
            current = self.lookup.value
            if (current or {}).get("id") != (value or {}).get("id") or current is None and value is not None:
                self.lookup.set_value(value)
            return
        if self.field.kind == "bool":
            self.input.checked = bool(value)
            return
        if self.field.kind == "choice":
            self._fill_choices(value)
            self._show_extra_choice(value)
        text = input_text(self.field, value)
        if self._shown_text != text:
            self.input.value = text
            self._shown_text = text

    def set_error(self, message: str | None) -> None:
        self.error.textContent = message or ""
        self.error.hidden = not message
        self.element.classList.toggle("has-error", bool(message))
        if self.lookup is not None:
            self.lookup.set_invalid(self.error_id if message else None)
        elif message:
            self.input.setAttribute("aria-invalid", "true")
            self.input.setAttribute("aria-describedby", self.error_id)
        else:
            self.input.removeAttribute("aria-invalid")
            self.input.removeAttribute("aria-describedby")

    def set_changed(self, changed: bool) -> None:
        if changed != self._changed:
            self._changed = changed
            self.element.classList.toggle("is-changed", changed)

    def focus(self) -> None:
        self.input.focus()


class RecordFormPage(Page):
    """The page of an entity-record tab (see the module docstring). Also the host of form extensions."""

    def __init__(self, services: Services, tab_id: str, initial_state: dict | None = None) -> None:
        super().__init__(services, tab_id, initial_state)
        params = self.params
        self.entity: Entity = entity(str(params.get("entityName")))
        created = self.initial_state.get("created_id")
        self.record_id: str | None = params.get("entityId") or (created if isinstance(created, str) else None)
        self.state = FormState(self.entity, new_record_base(self.entity))
        self.controls: dict[str, FieldControl] = {}
        self.toolbar: Any = None
        self.side: Any = None
        self._record_listeners: list[Callable[[dict], None]] = []
        self._disposers: list[Callable[[], None]] = []
        self._draft = parse_draft(self.initial_state, self.entity, self.record_id)
        scroll = self.initial_state.get("scroll")
        self._scroll = scroll if isinstance(scroll, int | float) and not isinstance(scroll, bool) else 0
        self._rendered = False
        self._saving = False
        self._loaded = False
        self._touched = self._draft.touched if self._draft and self._draft.touched else None
        self._subscribed_id: str | None = None
        self._pending_theirs: dict | None = None
        self._request: Any = None  # the first GET, started before the form builds its DOM (``start_now``)
        self._extension_dirty: dict[str, bool] = {}  # unsaved work of extensions (the timeline's draft), by key
        self._extension_states: list[Callable[[], dict | None]] = []
        self.access: Access = EDITABLE  # may this user edit the record (``casework.access``), shown at the top
        self._owner_names: dict[str, str] = {}
        self._access_listeners: list[Callable[[], None]] = []

    # -- host contract of form extensions
    @property
    def record(self) -> dict | None:
        """The record as last read or saved (``None`` for a new, unsaved one)."""
        return dict(self.state.base) if not self.state.is_new else None

    def on_record(self, callback: Callable[[dict], None]) -> Callable[[], None]:
        """``callback(record)`` after every load, save or reload; returns an unsubscribe function."""
        self._record_listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._record_listeners:
                self._record_listeners.remove(callback)

        return unsubscribe

    def on_access(self, callback: Callable[[], None]) -> Callable[[], None]:
        """``callback()`` when ``access`` changes (an owner's name arrived, the record closed); returns an
        unsubscribe function."""
        self._access_listeners.append(callback)
        return lambda: self._access_listeners.remove(callback) if callback in self._access_listeners else None

    def add_disposer(self, callback: Callable[[], None]) -> None:
        """Called when the form goes away."""
        self._disposers.append(callback)

    def set_extension_dirty(self, key: str, dirty: bool) -> None:
        """An extension holds unsaved work (or no longer does): the tab is dirty while the form or any of them is."""
        self._extension_dirty[key] = dirty
        self._update_dirty()

    def add_view_state(self, getter: Callable[[], dict | None]) -> None:
        """``getter()`` adds its keys to the form's view state (session restore); ``host.initial_state`` is what
        came back."""
        self._extension_states.append(getter)

    def _update_dirty(self) -> None:
        self.set_dirty(self.state.dirty or any(self._extension_dirty.values()))

    async def ensure_saved(self) -> bool:
        """Before an action: save pending edits. False when there is no saved record or the save failed."""
        if self.state.is_new and not self.state.dirty:
            self.services.notify(f"Save the {self.entity.singular.lower()} first.", "form_not_saved")
            return False
        if not self.state.dirty:
            return True
        return await self.save()

    def apply_record(self, record: dict) -> None:
        """An action's result (new ETag, new state) replaces the form's copy; edits (if any) stay on top."""
        changed = record.get(ETAG) != self.state.etag  # the bus may have brought it already
        if self.state.dirty:
            self.state.rebase(record)
        else:
            self.state.reload(record)
        self._hide_banner()
        self._render_record()
        if changed:
            self._announce()

    # -- life cycle
    def mount(self, panel: Any) -> None:
        mark("form.mount")
        self.panel = panel
        meta = self.entity
        loads = bool(self.record_id) and bool(_GUID.fullmatch(str(self.record_id)))
        if loads:  # the request leaves before the DOM is built: the server works while we build
            self._request = start_now(self.services.client.get(meta.entity_set, self.record_id))
            mark("record.request")
        self.root, refs = build(
            ["div", {"class": "record-form", "data-entity": meta.logical},
             ["header", {"class": "form-header"},
              ["div", {"class": "form-heading"}, ["span", {"class": "form-entity"}, meta.singular],
               ["h1", {"class": "form-title", "$ref": "title"},
                meta.title_of({}) if not self.record_id else "Loading…"],
               ["p", {"class": "form-readonly", "hidden": True, "$ref": "readonly"},
                ["span", {"class": "form-readonly-label"}, "Read-only"],
                ["span", {"class": "form-readonly-reason", "$ref": "reason"}]]],
              ["dl", {"class": "form-facts", "$ref": "facts"}]],
             ["div", {"class": "form-bar"},
              ["div", {"class": "form-toolbar", "role": "toolbar", "aria-label": "Record commands", "$ref": "toolbar"},
               ["button", {"type": "button", "class": "button-primary form-save", "title": "Save (Ctrl+S)",
                           "aria-keyshortcuts": "Control+S", "$ref": "save"}, "Save"]],
              ["span", {"class": "form-status", "role": "status", "aria-live": "polite", "$ref": "status"}]],
             ["div", {"class": "form-banner", "role": "status", "hidden": True, "$ref": "banner"}],
             ["div", {"class": "form-conflict-host", "$ref": "conflict"}],
             ["div", {"class": "form-error", "aria-live": "assertive", "hidden": True, "$ref": "error"}],
             ["div", {"class": "form-body"}, ["div", {"class": "form-sections", "$ref": "sections"}],
              ["aside", {"class": "form-side", "aria-label": "Related", "$ref": "side"}]]])
        self.title_element, self.header_facts, self.toolbar = refs["title"], refs["facts"], refs["toolbar"]
        self.save_button, self.status, self.banner = refs["save"], refs["status"], refs["banner"]
        self.conflict_host, self.form_error = refs["conflict"], refs["error"]
        self.sections, self.side = refs["sections"], refs["side"]
        self.readonly_note, self.readonly_reason = refs["readonly"], refs["reason"]
        panel.appendChild(self.root)
        on(self.save_button, "click", lambda _event: self.spawn(self.save()))
        on(panel, "keydown", self._keydown)
        on(panel, "scroll", lambda _event: self._scrolled())
        mark("form.shell")
        if self.record_id:
            if loads:
                # Extensions before the fields: their requests (the timeline's) leave before the fields are built;
                # the contract lets ``host.record`` be None while loading, and ``on_record`` follows the first load.
                self._first_render_done()
                mark("form.extensions")
            self._build_sections()
            mark("form.sections")
            self.spawn(self._load(first=True))
            mark("form.mounted")
        else:
            self._build_sections()
            had_draft = self._draft is not None
            self._restore_draft(None)
            if not had_draft:
                self._prefill(self.params.get("data"))
            self._render_record()
            self._first_render_done()

    def _prefill(self, data: Any) -> None:
        """A new form's first values from the reference's ``data`` / form parameters (``casework.prefill``)."""
        if data in (None, ""):
            return
        try:
            values, unknown = form_values(self.entity, data)
        except PrefillError as error:
            self.services.notify(str(error), error.code)
            return
        for name, value in values.items():
            self.state.set(name, value)
        if unknown:
            self.services.notify(f"The {self.entity.singular.lower()} form has no field {', '.join(unknown)}; "
                                 "those values were not filled in.", "prefill_unknown_field")

    def refresh(self) -> None:
        """``tab.refreshed``: read the record again (edits stay on top of it; nothing typed is dropped)."""
        if self.record_id:
            self.spawn(self._load(first=False))

    def shown(self) -> None:
        if self._scroll and self.panel is not None and not self.panel.scrollTop:
            self.panel.scrollTop = self._scroll

    def view_state(self) -> dict | None:
        state: dict = {}
        draft = self.state.draft(self._touched or _now_ms())
        if draft:
            state.update(draft)
        for getter in self._extension_states:
            try:
                state.update(getter() or {})
            except Exception as error:  # one extension must not lose the form's draft
                js.console.error(f"form extension view state: {error!r}")
        if self._scroll:
            state["scroll"] = int(self._scroll)
        if self.record_id and not self.params.get("entityId"):
            state["created_id"] = self.record_id  # a new form saved in an anchor tab: show the record after reload
        return state or None

    def dispose(self) -> None:
        for callback in self._disposers:
            try:
                callback()
            except Exception as error:  # one extension must not keep the others alive
                js.console.error(f"form extension disposer: {error!r}")
        self._disposers.clear()
        self._record_listeners.clear()
        super().dispose()

    # -- building
    def _build_sections(self) -> None:
        """Every section and field in one ``build`` call; one listener per edit event for all fields."""
        sections = []
        for section in self.entity.sections:
            heading_id = unique_id("section")
            fields = []
            for f in section.fields:
                control = FieldControl(self.services, f, self._edited, deferred=True)
                self.controls[f.name] = control
                fields.append(control.spec)
            sections.append(["section", {"class": "form-section", "aria-labelledby": heading_id},
                             ["h2", {"class": "form-section-title", "id": heading_id}, section.title],
                             ["div", {"class": "form-grid"}, fields]])
        fragment, refs = build(["", None, sections])
        for control in self.controls.values():
            control.bind(refs, delegated=True)
        self._edit_targets = {control.input_id: control for control in self.controls.values() if control.edit_event}
        self.sections.appendChild(fragment)
        on(self.sections, "input", self._field_event)
        on(self.sections, "change", self._field_event)

    def _field_event(self, event: Any) -> None:
        control = self._edit_targets.get(str(event.target.id or ""))
        if control is not None and event.type == control.edit_event:
            control.edited()

    def _render_record(self) -> None:
        """Show the state: every control, the header, the title and the dirty marker."""
        for name, control in self.controls.items():
            control.show(self.state.value(name))
            control.set_changed(name in self.state.edits and not self.state.is_new)  # a new record: all is new
        base = self.state.base
        title = self.entity.title_of(base) if base else f"New {self.entity.singular.lower()}"
        self.title_element.textContent = title
        facts, lookups = [], []
        for f in HEADER_FIELDS.get(self.entity.logical, ()):
            if f.name not in base and self.state.is_new:
                continue
            if f.kind == "lookup" and base.get(f.name):
                # labelled by its own aria-label: the <dt> beside it is not a <label>
                lookup = Lookup(self.services, f, unique_id("fact"), lambda _v: None, readonly=True, deferred=True,
                                label=f.label)
                lookups.append((lookup, base[f.name]))
                value: Any = lookup.spec
            else:
                value = display_text(f, base.get(f.name)) or None
            facts.append(["div", {"class": "form-fact"}, ["dt", {"class": "form-fact-label"}, f.label],
                          ["dd", {"class": "form-fact-value", "data-field": f.name}, value]])
        fragment, refs = build(["", None, facts])
        self.header_facts.replaceChildren(fragment)
        for lookup, owner_id in lookups:
            lookup.bind(refs)
            lookup.set_value({"id": owner_id, "type": "systemuser", "name": None})
        if base:
            self.set_title(title)
            self._retitle_session()
        self._apply_access()
        self._update_dirty()
        self.save_button.disabled = self._saving

    def _retitle_session(self) -> None:
        """The record's own tab anchors its session: the session's ``anchor`` follows the saved record, so a
        template title (a case session's number) resolves once the record is read, and after a new one is saved."""
        if self.state.is_new:
            return
        try:
            tab = self.tab
            if not tab.is_anchor:
                return
            session = self.services.workspace.session(tab.session_id)
        except ApmError:
            return  # the tab closed meanwhile
        if session.is_default:
            return
        base = self.state.base
        customer = base.get("customerid")
        customer_name = known_name(base.get("customeridtype"), customer) if isinstance(customer, str) else None
        attributes = anchor_attributes(self.entity.logical, base, customer_name)
        current = session.context.get("anchor")
        current = dict(current) if isinstance(current, dict) else {}
        merged = {**current, **attributes}
        if attributes and merged != current:
            try:
                self.services.workspace.update_context(tab.session_id, {"anchor": merged})
            except ApmError:
                pass

    # -- who may edit
    def _owner_name(self, owner_id: Any) -> str | None:
        if not isinstance(owner_id, str) or not owner_id:
            return None
        name = self._owner_names.get(owner_id) or known_name("systemuser", owner_id) or (
            self.services.user_names or {}).get(owner_id)
        if name is None and owner_id not in self._owner_names:
            self._owner_names[owner_id] = ""  # asked once

            async def resolve() -> None:
                found = await resolve_name(self.services, "systemuser", owner_id)
                if found:
                    self._owner_names[owner_id] = found
                    self._apply_access()

            self.spawn(resolve())
        return name or None

    def _apply_access(self) -> None:
        """Lock or unlock the form by ``casework.access`` (the server decides on save; this shows it first). Edits
        on a record this user cannot change are dropped and named, so the tab is never dirty for good."""
        agent = self.services.agent
        record = None if self.state.is_new else self.state.base
        owner = (record or {}).get("ownerid")
        access = edit_access(self.entity.logical, record, agent.user_id, agent.roles, self._owner_name(owner))
        if not access.editable and self.state.dirty:
            labels = [self.state.form_field(name).label for name in self.state.edits]
            self.state.reload(dict(self.state.base))
            for name, control in self.controls.items():
                control.show(self.state.value(name))
                control.set_changed(False)
            noun = self.entity.singular.lower()
            self.form_error.hidden = True  # the banner says it (one message, not two)
            self._show_banner(f"This {noun} is read-only ({access.reason}), so your unsaved changes to "
                              f"{', '.join(labels)} were not kept.", review=False)
            self.state_changed()
        changed, self.access = access != self.access, access
        for control in self.controls.values():
            control.set_locked(not access.editable)
        self.readonly_note.hidden = access.editable
        self.readonly_reason.textContent = access.reason
        self.save_button.hidden = not access.editable
        self.root.classList.toggle("is-readonly", not access.editable)
        if changed:
            for callback in list(self._access_listeners):
                callback()

    def _first_render_done(self) -> None:
        if self._rendered:
            return
        self._rendered = True
        if self.state.is_new and self.controls:
            next_frame(self._focus_first)  # a new record: start typing at once (once its tab is shown)
        for install in extensions_for(self.entity.logical):
            try:
                install(self)
            except Exception as error:  # a broken extension must not break the form
                self.services.report(error)
        if self._scroll:
            self.panel.scrollTop = self._scroll

    def _focus_first(self) -> None:
        active = js.document.activeElement
        if self.panel.classList.contains("is-inactive") or (active and self.panel.contains(active)):
            return  # another tab is shown, or the agent is already in the form
        next(iter(self.controls.values())).focus()

    def _announce(self) -> None:
        record = self.record
        if record is None:
            return
        for callback in list(self._record_listeners):
            try:
                callback(dict(record))
            except Exception as error:
                self.services.report(error)

    # -- loading
    async def _load(self, first: bool) -> None:
        if not _GUID.fullmatch(str(self.record_id)):  # record ids are GUIDs: no request for what cannot exist
            self._show_form_error(f"There is no {self.entity.singular.lower()} with the id {self.record_id}.")
            self.title_element.textContent = self.entity.singular
            return
        self.status.textContent = "Loading…"
        try:
            request, self._request = self._request, None
            record = await (request or self.services.client.get(self.entity.entity_set, self.record_id))
            mark("record.response")
        except (RecordError, OSError) as error:  # OSError: no answer at all (offline, refused)
            self.status.textContent = ""
            if isinstance(error, RecordError):
                self._show_form_error(error.message or f"The server answered {error.status}.")
            else:
                self._show_form_error("The server did not answer. Check the connection, then reopen the record.")
            if first:
                self.title_element.textContent = self.entity.singular
            return
        self.status.textContent = ""
        self._loaded = True
        remember_name(self.entity.logical, self.record_id, self.entity.title_of(record))
        if first:
            self.state = FormState(self.entity, record)
            self._restore_draft(record)
        else:
            self.state.rebase(record)
        self._subscribe()
        self._render_record()
        self._first_render_done()
        self._announce()
        mark("record.rendered")
        if first and self._scroll:
            self.panel.scrollTop = self._scroll

    def _restore_draft(self, record: dict | None) -> None:
        draft, self._draft = self._draft, None
        if draft is None:
            return
        for name, value in draft.fields.items():
            self.state.set(name, value)
        if self.state.dirty and record is not None and draft.base_etag and draft.base_etag != record.get(ETAG):
            self._show_banner("Your unsaved changes are back, but this record was changed since you typed them. "
                              "Check the highlighted fields before you save.", review=False)

    def _subscribe(self) -> None:
        if self._subscribed_id == self.record_id or not self.record_id:
            return
        self._subscribed_id = self.record_id
        self.keep(self.services.bus.subscribe(self._changed_elsewhere, entity_set=self.entity.entity_set,
                                              record_id=self.record_id))

    def _changed_elsewhere(self, change: RecordChange) -> None:
        if self._saving:
            return  # our own save: it applies the record itself
        if change.kind == DELETED:
            self._show_banner("This record was deleted elsewhere.", review=False)
            return
        record = change.record
        if record is not None and record.get(ETAG) == self.state.etag:
            return
        if record is None or self.entity.key not in record:
            self.spawn(self._load(first=False))
            return
        if not self.state.dirty:
            self.state.reload(record)
            self._render_record()
            self._announce()
        else:
            self._pending_theirs = record
            self._show_banner("Someone else saved this record while you were editing it.", review=True)

    # -- editing
    def _edited(self, name: str, value: Any) -> None:
        self.state.set(name, value)
        control = self.controls[name]
        control.set_changed(name in self.state.edits and not self.state.is_new)
        if control.element.classList.contains("has-error"):
            control.set_error(None)
            if self.status.textContent == FIX_FIELDS and not any(
                    c.element.classList.contains("has-error") for c in self.controls.values()):
                self.status.textContent = ""  # every highlighted field is fixed: the request is answered
        self._touched = _now_ms()
        if self.state.dirty and self.status.textContent in ("Saved.", "Reloaded.", "No changes to save."):
            self.status.textContent = ""  # that was about the record before this edit
        self._update_dirty()
        self.state_changed()

    def _scrolled(self) -> None:
        top = int(self.panel.scrollTop)
        if top != self._scroll and not self.panel.classList.contains("is-inactive"):
            self._scroll = top
            self.state_changed()

    def _keydown(self, event: Any) -> None:
        key = str(event.key).lower()
        if key == "s" and (event.ctrlKey or event.metaKey) and not event.altKey:
            event.preventDefault()  # never the browser's "save page" dialog
            event.stopPropagation()
            self.spawn(self.save())

    # -- saving
    async def save(self) -> bool:
        """Validate and save (create or update); True when the server has the record as shown."""
        if self._saving:
            return False
        if not self.access.editable:
            self.status.textContent = f"Read-only: {self.access.reason}."
            return False
        errors = self.state.validate()
        self._show_errors(errors)
        if errors:
            first = next(iter(f for f in self.controls if f in errors), None)
            if first:
                self.controls[first].focus()
            self.status.textContent = FIX_FIELDS
            return False
        if not self.state.dirty and not self.state.is_new:
            self.status.textContent = "No changes to save."
            return True
        self._saving = True
        self.save_button.disabled = True
        self.status.textContent = "Saving…"
        client = self.services.client
        creating = self.state.is_new
        try:
            if creating:
                record = await client.create(self.entity.entity_set, self.state.create_body())
            else:
                record = await client.update(self.entity.entity_set, self.state.base, self.state.patch_body(),
                                             key=self.entity.key)
        except ConflictError as error:
            self.status.textContent = ""
            current = error.current
            if current is None:
                self._show_form_error(error.message)
                return False
            self._show_conflict(current)
            return False
        except RecordError as error:
            self.status.textContent = ""
            message = error.message or f"The server answered {error.status}."
            if error.status in (403, 409) and error.code in ("not_owner", "case_not_active", "email_closed"):
                # the record changed hands or closed meanwhile: read it again; the form then shows why it is
                # read-only (and names the edits it could not keep), once, instead of a banner and a toast
                self._show_form_error(message)
                self.spawn(self._load(first=False))
                return False
            errors = server_field_errors(self.entity, error.field, message)
            self._show_errors(errors)
            if "" not in errors:  # a field's error is beside the field: the notice says the save failed
                self.services.notify(message, error.code)
            return False
        finally:
            self._saving = False
            self.save_button.disabled = False
        self.state.saved(record)
        self._hide_banner()
        clear(self.conflict_host)
        self.status.textContent = "Saved."
        if creating:
            self._created(record)
            return True
        self._render_record()
        self.state_changed()
        self._announce()
        return True

    def _created(self, record: dict) -> None:
        record_id = self.entity.id_of(record)
        title = self.entity.title_of(record)
        remember_name(self.entity.logical, record_id, title)
        tab = self.tab
        if not tab.is_anchor:  # the tab becomes the record's tab (a new page loads it)
            try:
                self.services.workspace.navigate_tab(
                    self.tab_id, tab.template_name, {"entityName": self.entity.logical, "entityId": record_id},
                    title=title)
                return
            except ApmError:
                pass
        self.record_id = record_id  # an anchor keeps its page: it shows the record from now on
        self._subscribe()
        self._render_record()
        self.state_changed()
        self._announce()

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name, control in self.controls.items():
            control.set_error(errors.get(name))
        general = errors.get("")
        if general:
            self._show_form_error(general)
        else:
            self.form_error.hidden = True

    def _show_form_error(self, message: str) -> None:
        self.form_error.textContent = message
        self.form_error.hidden = False

    # -- banners and conflicts
    def _show_banner(self, message: str, review: bool) -> None:
        clear(self.banner)
        self.banner.appendChild(h("span", {"class": "form-banner-text"}, message))
        if review:
            button = h("button", {"type": "button", "class": "button-secondary"}, "Review and reload")
            on(button, "click", lambda _event: self._review_theirs())
            self.banner.appendChild(button)
        self.banner.hidden = False

    def _hide_banner(self) -> None:
        self.banner.hidden = True
        clear(self.banner)

    def _review_theirs(self) -> None:
        theirs, self._pending_theirs = self._pending_theirs, None
        self._hide_banner()
        if theirs is not None:
            self._show_conflict(theirs)

    def _show_conflict(self, theirs: dict) -> None:
        conflict: Conflict = self.state.compare(theirs)
        heading_id = unique_id("conflict")
        rows = h("tbody")
        for change in conflict.changes:
            f = self.state.form_field(change.name)
            mine = self._display(f, self.state.value(change.name)) if change.edited else "(not changed)"
            rows.appendChild(h("tr", {"class": "is-collision" if change.collides else None,
                                      "data-field": change.name},
                               h("th", {"scope": "row"}, change.label),
                               h("td", None, self._display(f, change.theirs)) if change.theirs_changed
                               else h("td", {"class": "is-unchanged"}, "(not changed)"),
                               h("td", None, mine)))
        reload_button = h("button", {"type": "button", "class": "button-secondary"}, "Reload theirs")
        keep_button = h("button", {"type": "button", "class": "button-primary"}, "Keep mine and re-apply")
        panel = h("section", {"class": "form-conflict", "role": "alert", "aria-labelledby": heading_id},
                  h("h2", {"class": "form-conflict-title", "id": heading_id},
                    "Someone else changed this record"),
                  h("p", {"class": "form-conflict-text"},
                    "Your changes are not saved yet. Compare and choose: reload their version (your edits are "
                    "dropped), or keep your edits on top of their version and save again."),
                  h("table", {"class": "form-conflict-table"},
                    h("thead", None, h("tr", None, h("th", {"scope": "col"}, "Field"),
                                       h("th", {"scope": "col"}, "Their value"),
                                       h("th", {"scope": "col"}, "Your value"))), rows),
                  h("div", {"class": "form-conflict-actions"}, reload_button, keep_button))
        clear(self.conflict_host)
        self.conflict_host.appendChild(panel)
        on(reload_button, "click", lambda _event: self._resolve_conflict(theirs, keep=False))
        on(keep_button, "click", lambda _event: self._resolve_conflict(theirs, keep=True))
        keep_button.focus()

    def _display(self, f: FormField, value: Any) -> str:
        if f.kind == "lookup" and isinstance(value, dict) and not value.get("name"):
            from components.lookup import known_name

            value = {**value, "name": known_name(value.get("type"), value.get("id"))}
        return display_text(f, value)

    def _resolve_conflict(self, theirs: dict, keep: bool) -> None:
        clear(self.conflict_host)
        self._hide_banner()
        if keep:
            self.state.rebase(theirs)
        else:
            self.state.reload(theirs)
        self._render_record()
        self.state_changed()
        self._announce()
        if keep and self.state.dirty:
            self.spawn(self.save())
        else:
            self.status.textContent = "Reloaded."


def save_focused_tab(services: Services) -> None:
    """Ctrl+S from anywhere in the session (the session bar, the tab strip, the pane...): save the record of the
    session's focused tab. A tab with no record form says so instead of doing nothing."""
    page = services.host.page(services.workspace.focused_session.focused_tab_id) if services.host else None
    if isinstance(page, RecordFormPage):
        page.spawn(page.save())
    else:
        services.notify("This tab has no record to save.", "nothing_to_save")

