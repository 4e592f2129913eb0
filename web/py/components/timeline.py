"""The record timeline: a form extension (``components.form_extensions``) for cases, accounts and contacts.

A panel in ``host.side``: the notes and activities regarding the record, newest first, under day headings, paged
with "Load more"; type filters (notes, tasks, phone calls, emails); an add bar for a note, a task or a phone call
(inline compact form: Enter in a single-line field or Ctrl+Enter in the text saves, Escape closes; errors show
inline and keep the text). Opening an activity opens it in a new tab of the focused session
(``NavSource.TIMELINE``); a note or a case resolution expands inline instead (they have no form of their own).

It follows the record bus (a note or activity regarding the record created, changed or deleted anywhere in the
page, a case action) and the host's record (a resolve adds a resolution), so it is never stale.
Pure parts: ``casework.timeline``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import js

from apm.navigation import NavSource
from browser.dom import build, clear, mark, on, unique_id
from casework import mentions
from casework import timeline as tl
from casework.entities import ACTIVITY_PRIORITY, entity
from casework.recordbus import DELETED, RecordChange
from casework.records import RecordError
from components.form_extensions import start_now
from components.mention_picker import MentionPicker
from components.pages import spawn

TIMELINE_ENTITIES = ("incident", "account", "contact")
_UNKNOWN = object()  # the record's state before the host read it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def user_names(services: Any) -> dict[str, str]:
    """``{systemuserid: fullname}``, read once per page and shared through ``services.user_names``."""
    names = services.user_names
    if names is None:
        names = {}
        try:
            page = await services.client.list("systemusers", select=["systemuserid", "fullname"], top=500)
            names = {str(user["systemuserid"]): str(user.get("fullname") or "") for user in page.records}
        except RecordError:
            pass  # shown without names rather than not at all
        services.user_names = names
    return names


class TimelinePanel:
    """The timeline of one form (see the module docstring); ``install(host)`` creates it."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.services = host.services
        self.items: list[dict] = []
        self.has_more = False
        self.filter_key = "all"
        self.expanded: set[str] = set()
        self.names: dict[str, str] = {}
        self.draft_kind: str | None = None
        self._typed_kind: str | None = None  # the kind the kept text was typed for (also while the draft is closed)
        self._loading = False
        self._reload_again = False
        # The first page's request leaves before the panel builds its DOM (see ``start_now``).
        self._prefetched = self._request(host.record_id) if host.record_id else None
        self._build()
        for entity_set in tl.TIMELINE_SETS:
            host.add_disposer(self.services.bus.subscribe(self._on_change, entity_set=entity_set))
        host.add_disposer(host.on_record(self._on_record))
        host.add_view_state(self._draft_state)
        self._loaded_for = host.record_id
        self._statecode = (host.record or {}).get("statecode", _UNKNOWN)
        if host.record_id:
            self.reload()
        else:
            self._render()
        restored = tl.parse_timeline_draft(host.initial_state, host.record_id)
        if restored is not None:  # typed before the reload: open again with the text, unsaved
            self.subject.value, self.text.value, self.phone.value = restored.subject, restored.text, restored.phone
            self._toggle_draft(restored.kind, focus=False)
            self._draft_changed()

    # -- building ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        """The panel in one ``build`` call, with one click listener for all its buttons (see ``_clicked``)."""
        title_id = unique_id("timeline-title")
        form_id = unique_id("timeline-draft")
        kinds = list(tl.DRAFT_KINDS.values())
        self.root, refs = build(
            ["section", {"class": "timeline", "aria-labelledby": title_id},
             ["div", {"class": "tl-head"}, ["h2", {"class": "tl-title", "id": title_id}, "Timeline"],
              ["div", {"class": "tl-add", "role": "group", "aria-label": "Add to the timeline"},
               [["button", {"type": "button", "class": "tl-add-button", "data-kind": kind.key,
                            "aria-expanded": "false", "aria-controls": form_id, "$ref": "add-" + kind.key},
                 "+ " + kind.label] for kind in kinds]]],
             self._draft_spec(form_id),
             ["div", {"class": "tl-filters", "role": "group", "aria-label": "Show"},
              [["button", {"type": "button", "class": "tl-filter", "data-filter": choice.key,
                           "aria-pressed": "true" if choice.key == self.filter_key else "false",
                           "$ref": "filter-" + choice.key}, choice.label] for choice in tl.FILTERS]],
             ["p", {"class": "tl-status muted", "role": "status", "$ref": "status"}],
             ["span", {"class": "tl-announce", "role": "status", "$ref": "announce"}],  # for screen readers only
             ["div", {"class": "tl-items", "role": "region", "aria-label": "Timeline items", "aria-busy": "false",
                      "$ref": "feed"}],
             ["button", {"type": "button", "class": "tl-more button-secondary", "hidden": True, "$ref": "more"},
              "Load more"]])
        self.add_buttons: dict[str, Any] = {kind.key: refs["add-" + kind.key] for kind in kinds}
        self.filter_buttons: dict[str, Any] = {choice.key: refs["filter-" + choice.key] for choice in tl.FILTERS}
        self.status, self.announce, self.feed, self.more = refs["status"], refs["announce"], refs["feed"], refs["more"]
        self.draft, self.subject, self.text, self.phone = refs["draft"], refs["subject"], refs["text"], refs["phone"]
        self.subject_label, self.text_label = refs["subject-label"], refs["text-label"]
        self.phone_row, self.form_error, self.save = refs["phone-row"], refs["form-error"], refs["save"]
        self.task_row, self.due, self.priority = refs["task-row"], refs["due"], refs["priority"]
        self._draft_wired = False
        self.mention_picker = MentionPicker(self.services, self.text, lambda: self.draft_kind == "note",
                                            self._draft_changed)  # "@" names a colleague in a note
        on(self.root, "click", self._clicked)
        on(self.draft, "input", lambda _event: self._draft_changed())
        self.host.side.appendChild(self.root)

    def _draft_spec(self, form_id: str) -> list:
        subject_id, text_id, phone_id = unique_id("tl-subject"), unique_id("tl-text"), unique_id("tl-phone")
        due_id, priority_id = unique_id("tl-due"), unique_id("tl-priority")
        self.error_ids = errors = {name: unique_id(f"tl-{name}-error") for name in ("subject", "text", "phone", "form")}
        return [
            "form", {"class": "tl-draft", "id": form_id, "hidden": True, "novalidate": True, "$ref": "draft"},
            ["div", {"class": "tl-field"}, ["label", {"for": subject_id, "$ref": "subject-label"}, "Subject"],
             ["input", {"id": subject_id, "class": "tl-input", "type": "text", "maxlength": "300",
                        "autocomplete": "off", "aria-describedby": errors["subject"], "$ref": "subject"}],
             ["p", {"class": "tl-field-error", "id": errors["subject"]}]],
            ["div", {"class": "tl-field"}, ["label", {"for": text_id, "$ref": "text-label"}, "Text"],
             ["textarea", {"id": text_id, "class": "tl-input", "rows": "3", "aria-describedby": errors["text"],
                           "$ref": "text"}],
             ["p", {"class": "tl-field-error", "id": errors["text"]}]],
            ["div", {"class": "tl-field", "$ref": "phone-row"}, ["label", {"for": phone_id}, "Phone number"],
             ["input", {"id": phone_id, "class": "tl-input", "type": "tel", "maxlength": "50", "autocomplete": "off",
                        "aria-describedby": errors["phone"], "$ref": "phone"}],
             ["p", {"class": "tl-field-error", "id": errors["phone"]}]],
            ["div", {"class": "tl-task-row", "hidden": True, "$ref": "task-row"},
             ["div", {"class": "tl-field"}, ["label", {"for": due_id}, "Due (optional)"],
              ["input", {"id": due_id, "class": "tl-input", "type": "datetime-local", "$ref": "due"}]],
             ["div", {"class": "tl-field"}, ["label", {"for": priority_id}, "Priority"],
              ["select", {"id": priority_id, "class": "tl-input", "$ref": "priority"},
               *[["option", {"value": str(value), **({"selected": True} if value == 1 else {})}, label]
                 for value, label in ACTIVITY_PRIORITY]]]],
            ["p", {"class": "tl-form-error", "id": errors["form"], "role": "alert", "$ref": "form-error"}],
            ["div", {"class": "tl-draft-actions"},
             ["span", {"class": "tl-hint muted"}, "Ctrl+Enter saves · Esc closes"],
             ["button", {"type": "button", "class": "button-secondary tl-cancel"}, "Cancel"],
             ["button", {"type": "submit", "class": "button-primary tl-save", "$ref": "save"}, "Save"]]]

    def _clicked(self, event: Any) -> None:
        """Every button of the panel: add bar, filters, items, Load more, the draft's Cancel."""
        button = event.target.closest("button")
        if not button or not self.root.contains(button):
            return
        data = button.dataset
        classes = button.classList
        if classes.contains("tl-open"):
            item_id = str(data.id or "")
            item = next((it for it in self.items if str(it.get("id", "")) == item_id), None)
            if item is not None:
                self._open(item)
        elif classes.contains("tl-complete"):
            item_id = str(data.id or "")
            item = next((it for it in self.items if str(it.get("id", "")) == item_id), None)
            if item is not None:
                button.disabled = True
                self._spawn(self._complete(item))
        elif classes.contains("tl-add-button"):
            self._toggle_draft(str(data.kind))
        elif classes.contains("tl-filter"):
            self._set_filter(str(data.filter))
        elif classes.contains("tl-more"):
            self._spawn(self._load_more())
        elif classes.contains("tl-cancel"):
            self._close_draft(clear_text=True)

    # -- the add bar ------------------------------------------------------------------------------------------
    def current_draft(self) -> tl.TimelineDraft | None:
        """What is typed in the add bar (kept while the draft is closed with Escape), or ``None``."""
        kind = self.draft_kind or self._typed_kind
        if kind is None:
            return None
        return tl.TimelineDraft(kind, str(self.subject.value), str(self.text.value), str(self.phone.value),
                                str(self.host.record_id or ""))

    def _draft_state(self) -> dict | None:
        draft = self.current_draft()
        return draft.to_state() if draft is not None else None

    def _draft_changed(self) -> None:
        """After typing, saving or cancelling: the tab's unsaved marker and session restore follow the draft."""
        draft = self.current_draft()
        self.host.set_extension_dirty("timeline", bool(draft and draft.unsaved))
        self.host.state_changed()

    def _toggle_draft(self, kind: str, focus: bool = True) -> None:
        if self.draft_kind == kind:
            self._close_draft(clear_text=False)
            return
        self.draft_kind = self._typed_kind = kind
        draft = tl.DRAFT_KINDS[kind]
        if not self._draft_wired:  # the draft's keys from its first opening on
            self._draft_wired = True
            on(self.draft, "submit", self._on_submit)
            on(self.draft, "keydown", self._on_draft_key)
        for key, button in self.add_buttons.items():
            button.setAttribute("aria-expanded", "true" if key == kind else "false")
        self.draft.hidden = False
        self.draft.dataset.kind = kind
        self.draft.setAttribute("aria-label", f"New {draft.label.lower()}")
        self.subject_label.textContent = "Subject" + (" (required)" if draft.subject_required else " (optional)")
        self.text_label.textContent = "Text (required)" if kind == "note" else "Description"
        if draft.subject_required:
            self.subject.setAttribute("aria-required", "true")
        else:
            self.subject.removeAttribute("aria-required")
        if kind == "note":
            self.text.setAttribute("aria-required", "true")
        else:
            self.text.removeAttribute("aria-required")
        self.phone_row.hidden = kind != "phonecall"
        self.task_row.hidden = kind != "task"
        self._show_errors({})
        if focus:
            (self.text if kind == "note" else self.subject).focus()
        self._draft_changed()  # the same text, now of this kind

    def _close_draft(self, clear_text: bool) -> None:
        kind = self.draft_kind
        self.draft_kind = None
        self.draft.hidden = True
        for button in self.add_buttons.values():
            button.setAttribute("aria-expanded", "false")
        if clear_text:
            for field in (self.subject, self.text, self.phone, self.due):
                field.value = ""
            self.priority.value = "1"
            self._show_errors({})
            self._typed_kind = None
            self._draft_changed()
        if kind is not None:
            self.add_buttons[kind].focus()

    def _on_draft_key(self, event: Any) -> None:
        if event.key == "Escape":
            event.preventDefault()
            event.stopPropagation()  # not the dialog's or the workspace's Escape
            self._close_draft(clear_text=False)
        elif event.key == "Enter" and (event.ctrlKey or event.metaKey):
            event.preventDefault()
            self._submit()

    def _on_submit(self, event: Any) -> None:  # Enter in a single-line field, or the Save button
        event.preventDefault()
        self._submit()

    def _show_errors(self, errors: dict[str, str]) -> None:
        fields = {"subject": self.subject, "text": self.text, "phone": self.phone}
        for name, element in fields.items():
            message = errors.get(name, "")
            self.draft.querySelector(f"#{self.error_ids[name]}").textContent = message
            if message:
                element.setAttribute("aria-invalid", "true")
            else:
                element.removeAttribute("aria-invalid")
        self.form_error.textContent = errors.get("form", "")
        for name in ("subject", "text", "phone"):
            if errors.get(name):
                fields[name].focus()
                break

    def _submit(self) -> None:
        kind = self.draft_kind
        if kind is None or self.save.disabled:
            return
        subject, text, phone = str(self.subject.value), str(self.text.value), str(self.phone.value)
        errors = tl.validate_draft(kind, subject, text, phone if kind == "phonecall" else "")
        if errors:
            self._show_errors(errors)
            return
        record_id = self.host.record_id
        if not record_id:
            self._show_errors({"form": "Save the record first."})
            return
        due = priority = None
        if kind == "task":
            local = str(self.due.value or "")
            if local:
                when = js.Date.new(local)  # datetime-local is the agent's local time; the API takes UTC
                if when.getTime() != when.getTime():
                    self._show_errors({"form": "The due date is not a date."})
                    return
                due = str(when.toISOString())
            priority = int(str(self.priority.value or "1"))
        entity_set, body = tl.draft_body(kind, self.host.entity.logical, record_id, subject, text,
                                         phone if kind == "phonecall" else "", due=due, priority=priority)
        self._spawn(self._create(kind, entity_set, body))

    async def _create(self, kind: str, entity_set: str, body: dict) -> None:
        self.save.disabled = True
        self.save.textContent = "Saving…"
        try:
            record = await self.services.client.create(entity_set, body)
        except RecordError as error:  # shown in the form; what the agent typed stays
            field = {"subject": "subject", "notetext": "text", "description": "text",
                     "phonenumber": "phone"}.get(error.field or "", "form")
            self._show_errors({field: error.message or f"The server answered {error.status}."})
            return
        except Exception as error:  # the network: same, the text stays
            self._show_errors({"form": f"Could not save: {error}"})
            return
        finally:
            self.save.disabled = False
            self.save.textContent = "Save"
        item = tl.item_from_record(entity_set, record)
        if item is not None:
            self.items = tl.merge_items(self.items, [item])
            if self.filter_key not in ("all", item["type"]):
                self._set_filter("all")
            self._render()
        self._close_draft(clear_text=True)
        self.announce.textContent = f"{tl.DRAFT_KINDS[kind].label} added to the timeline."

    async def _complete(self, item: dict) -> None:
        """Mark an open activity completed (read for its ETag, then ``statecode`` 1); the item shows Completed."""
        target = tl.nav_target(item)
        if target is None:
            return
        entity_set = entity(target[0]).entity_set
        try:
            record = await self.services.client.get(entity_set, target[1])
            await self.services.client.update(entity_set, record, {"statecode": 1})
        except RecordError as error:
            self.services.notify(error.message or f"The server answered {error.status}.", error.code)
            self._render()
            return
        self.items = [dict(it, statecode=1) if str(it.get("id")) == str(item["id"]) else it for it in self.items]
        self._render()
        self.announce.textContent = f"{tl.title_of(item)} marked complete."

    # -- filters, items ---------------------------------------------------------------------------------------
    def _set_filter(self, key: str) -> None:
        self.filter_key = key
        for name, button in self.filter_buttons.items():
            button.setAttribute("aria-pressed", "true" if name == key else "false")
        self._render()

    def _open(self, item: dict) -> None:
        target = tl.nav_target(item)
        if target is None:  # notes and resolutions: expand in place
            item_id = str(item["id"])
            if item_id in self.expanded:
                self.expanded.discard(item_id)
            else:
                self.expanded.add(item_id)
            self._render(focus_id=item_id)
            return
        logical, record_id = target
        self.services.open_record(logical, record_id, NavSource.TIMELINE, title=tl.title_of(item))

    def _render_item(self, item: dict, now: dt.datetime) -> list:
        """One item as a ``build`` node (its button's clicks reach ``_clicked``)."""
        kind = tl.item_type(str(item.get("type", "")))
        item_id = str(item.get("id", ""))
        expanded = item_id in self.expanded
        inline = tl.nav_target(item) is None
        title = tl.title_of(item)
        attrs = {"type": "button", "class": "tl-open", "data-id": item_id}
        if inline:
            attrs["aria-expanded"] = "true" if expanded else "false"
        else:
            attrs["title"] = f"Open {kind.label.lower()} in a new tab"
        raw = item.get("text") if isinstance(item.get("text"), str) else ""
        text = mentions.plain(raw)  # a mention shows as "@Name"
        untitled = not (item.get("subject") or "").strip()  # the title already shows the text's start
        body = None
        if text.strip() and (expanded or not untitled):
            shown = [["span", {"class": "tl-mention"}, piece] if user_id else piece
                     for piece, user_id in mentions.segments(raw)] if expanded else [tl.summary(text)]
            body = ["p", {"class": "tl-text" + (" is-expanded" if expanded else "")}, *shown]
        when = tl.parse_time(item.get("createdon"))
        owner = self.names.get(str(item.get("ownerid") or ""), "")
        meta = ["p", {"class": "tl-meta"}]
        if owner:
            meta += [["span", {"class": "tl-owner"}, owner], " · "]
        if when is not None:
            meta.append(["time", {"datetime": item.get("createdon"), "title": tl.absolute_time(when)},
                         tl.relative_time(when, now)])
        status = tl.status_of(item)
        return ["li", {"class": "tl-item", "data-type": kind.code, "data-id": item_id},
                ["span", {"class": f"tl-icon tl-icon-{kind.code}", "aria-hidden": "true"}, kind.icon],
                ["div", {"class": "tl-body"},
                 ["div", {"class": "tl-line"}, ["button", attrs, title],
                  ["span", {"class": "tl-type"}, kind.label],
                  ["span", {"class": f"tl-state tl-state-{status.lower()}"}, status] if status else None,
                  ["button", {"type": "button", "class": "tl-complete", "data-id": item_id,
                              "aria-label": f"Mark {title} complete"}, "Complete"]
                  if tl.can_complete(item) else None],
                 body, meta]]

    def _render(self, focus_id: str | None = None) -> None:
        active = self.feed.ownerDocument.activeElement
        if focus_id is None and active is not None and self.feed.contains(active):
            focus_id = active.getAttribute("data-id")
        clear(self.feed)
        saved = bool(self.host.record_id)
        for button in self.add_buttons.values():
            button.disabled = not saved
            if not saved:
                button.setAttribute("title", "Save the record to add to its timeline")
            else:
                button.removeAttribute("title")
        if not saved:
            self.status.textContent = "Save the record to see its timeline."
            self.more.hidden = True
            return
        shown = tl.filter_items(self.items, self.filter_key)
        now = _now()
        groups = [["section", {"class": "tl-group"}, ["h3", {"class": "tl-group-title"}, label],
                   ["ol", {"class": "tl-list", "role": "list"}, [self._render_item(item, now) for item in group]]]
                  for label, group in tl.group_items(shown, now)]
        if groups:
            self.feed.appendChild(build(["", None, groups])[0])
        if self._loading and not self.items:
            self.status.textContent = "Loading…"
        elif not shown:
            chosen = next(f for f in tl.FILTERS if f.key == self.filter_key)
            self.status.textContent = ("Nothing on the timeline yet." if chosen.types is None
                                       else f"No {chosen.label.lower()} loaded.")
        else:
            self.status.textContent = ""
        self.more.hidden = not self.has_more
        self.more.disabled = self._loading
        if focus_id:
            target = self.feed.querySelector(f'.tl-open[data-id="{focus_id}"]')
            if target is not None:
                target.focus()

    # -- loading ----------------------------------------------------------------------------------------------
    def _spawn(self, coroutine: Any) -> None:
        spawn(coroutine, self.services.report)

    def _entity_set(self) -> str:
        return self.host.entity.entity_set

    def reload(self) -> None:
        """Read the first pages again (as many items as are shown): coalesced while a read is running."""
        if self._loading:
            self._reload_again = True
            return
        self._spawn(self._reload())

    async def _reload(self) -> None:
        record_id = self.host.record_id
        if not record_id:
            self._render()
            return
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and prefetched[0] != record_id:  # read for another record: not needed any more
            for task in prefetched[1:]:
                if task is not None:
                    task.add_done_callback(lambda done: done.cancelled() or done.exception())
            prefetched = None
        request = prefetched or self._request(record_id)
        self._set_loading(True)
        try:
            page = await request[1]
            mark("timeline.response")
            names = await request[2] if request[2] is not None else None
            if names is not None:
                self.names = names
            if record_id == self.host.record_id:
                self.items = tl.merge_items([], page.records)
                self.has_more = page.next_link is not None
                self.feed.setAttribute("data-loaded", "1")  # loaded at least once (tests, bench/workspace.py)
        finally:
            self._set_loading(False)
        mark("timeline.rendered")
        if self._reload_again:
            self._reload_again = False
            await self._reload()

    async def _load_more(self) -> None:
        record_id = self.host.record_id
        if not record_id or self._loading:
            return
        self._set_loading(True)
        try:
            page = await self.services.client.timeline(self._entity_set(), record_id, top=tl.PAGE_SIZE,
                                                       skip=len(self.items))
            self.items = tl.merge_items(self.items, page.records)
            self.has_more = page.next_link is not None
        finally:
            self._set_loading(False)

    def _request(self, record_id: str) -> tuple[str, Any, Any]:
        """Start reading the first pages of ``record_id``'s timeline (and the user names, the first time), both at
        once: ``(record_id, page task, names task or None)``."""
        mark("timeline.request")
        page = start_now(self.services.client.timeline(self._entity_set(), record_id,
                                                       top=max(tl.PAGE_SIZE, len(self.items))))
        names = start_now(user_names(self.services)) if not self.names else None
        return record_id, page, names

    def _set_loading(self, loading: bool) -> None:
        self._loading = loading
        self.feed.setAttribute("aria-busy", "true" if loading else "false")
        self._render()

    # -- following changes ------------------------------------------------------------------------------------
    def _on_record(self, record: dict | None) -> None:
        """A new record (first save) or a new state (resolved, cancelled): read the timeline again."""
        record_id = self.host.record_id
        statecode = (record or {}).get("statecode", _UNKNOWN)
        changed = record_id != self._loaded_for or _UNKNOWN not in (statecode, self._statecode) and (
            statecode != self._statecode)
        self._loaded_for, self._statecode = record_id, statecode
        if changed:
            self.reload()

    def _on_change(self, change: RecordChange) -> None:
        record_id = self.host.record_id
        if not record_id or not tl.concerns(change, record_id, {str(item["id"]) for item in self.items}):
            return
        if change.kind == DELETED:
            self.items = [item for item in self.items if str(item["id"]) != change.record_id]
            self._render()
            return
        item = tl.item_from_record(change.entity_set, change.record) if change.record else None
        if item is not None and item.get("id") and item.get("createdon"):
            if tl.regarding_of(change.record) == record_id.lower():
                self.items = tl.merge_items(self.items, [item])
            else:  # moved to another record
                self.items = [known for known in self.items if str(known["id"]) != str(item["id"])]
            self._render()
            return
        self.reload()  # a case action (a resolution was added) or a change without the record: read again


def install(host: Any) -> TimelinePanel:
    """The form extension: a timeline panel in ``host.side`` (see ``components.form_extensions``)."""
    return TimelinePanel(host)
