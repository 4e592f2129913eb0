"""A minimal record form host, for testing form extensions (``components.form_extensions``) without the real form.

It implements exactly the host contract the record form offers its extensions (toolbar, side, record, record_id,
entity, services, tab_id, on_record, ensure_saved, apply_record, add_disposer) over a record read from the API,
and shows a few read-only fields. Not in the product (served only with ``--test-kits``); a test enables it in the
page with

    from app import handle
    from testkits import form_host
    form_host.enable(handle.host)

which puts it FIRST in the page registry for entity-record tabs of cases, accounts and contacts (ahead of the real
form, so extension tests keep testing the extensions). ``HOSTS`` finds a mounted host by tab id; a test may set
``ensure_saved_answer`` to False to play an agent who cancelled the save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from browser.dom import clear, h
from casework.entities import CASE_STATUS, choice_label, entity
from casework.recordbus import RecordChange
from components.form_extensions import extensions_for
from components.pages import Page, PageHost, is_record

HOSTS: dict[str, FormHostTestkit] = {}
_ENABLED: set[int] = set()  # page hosts (by id) the kit is enabled on
SHOWN_FIELDS = {"incident": ("ticketnumber", "title", "statecode", "statuscode", "ownerid", "queueid"),
                "account": ("name", "accountnumber"), "contact": ("fullname", "emailaddress1")}
_STATE = {0: "Active", 1: "Resolved", 2: "Cancelled"}


class FormHostTestkit(Page):
    """A record page that hosts form extensions (see the module docstring)."""

    def __init__(self, services: Any, tab_id: str, initial_state: dict | None = None) -> None:
        super().__init__(services, tab_id, initial_state)
        self.entity = entity(str(self.params["entityName"]))
        self.record_id: str | None = self.params.get("entityId")
        self.record: dict | None = None
        self.ensure_saved_answer = True
        self.ensure_saved_calls = 0
        self._callbacks: list[Callable[[dict | None], None]] = []
        self._disposers: list[Callable[[], None]] = []
        self._view_states: list[Callable[[], dict | None]] = []
        self.toolbar: Any = None
        self.side: Any = None

    # -- the host contract
    def on_record(self, callback: Callable[[dict | None], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def ensure_saved(self) -> bool:
        self.ensure_saved_calls += 1
        self.panel.dataset.ensureSavedCalls = str(self.ensure_saved_calls)
        return self.ensure_saved_answer

    def apply_record(self, record: dict) -> None:
        self._set_record(record)

    def add_disposer(self, callback: Callable[[], None]) -> None:
        self._disposers.append(callback)

    def set_extension_dirty(self, key: str, dirty: bool) -> None:
        self.set_dirty(dirty)

    def add_view_state(self, getter: Callable[[], dict | None]) -> None:
        self._view_states.append(getter)

    def view_state(self) -> dict | None:
        state: dict = {}
        for getter in self._view_states:
            state.update(getter() or {})
        return state or None

    # -- the page
    def mount(self, panel: Any) -> None:
        HOSTS[self.tab_id] = self
        self.heading = h("h2", {"class": "panel-title"}, self.tab.title)
        self.toolbar = h("div", {"class": "testkit-toolbar"})
        self.fields = h("dl", {"class": "kv-list testkit-fields"})
        self.side = h("aside", {"class": "testkit-side", "aria-label": "Related"})
        panel.appendChild(h("div", {"class": "testkit-form", "data-entity": self.entity.logical},
                            h("header", {"class": "panel-header"}, self.heading, self.toolbar),
                            h("div", {"class": "testkit-layout"}, h("div", {"class": "testkit-main"}, self.fields),
                              self.side)))
        for install in extensions_for(self.entity.logical):
            install(self)
        if self.record_id:
            self.keep(self.services.bus.subscribe(self._on_change, entity_set=self.entity.entity_set,
                                                  record_id=self.record_id))
            self.spawn(self._load())

    async def _load(self) -> None:
        self._set_record(await self.services.client.get(self.entity.entity_set, self.record_id))

    def _on_change(self, change: RecordChange) -> None:
        if change.record is not None:
            self._set_record(change.record)

    def _set_record(self, record: dict) -> None:
        self.record = record
        self.record_id = self.entity.id_of(record) or self.record_id
        self.heading.textContent = self.entity.title_of(record)
        clear(self.fields)
        for name in SHOWN_FIELDS.get(self.entity.logical, ()):
            value = record.get(name)
            shown = _STATE.get(value, "") if name == "statecode" else str(value if value is not None else "")
            if name == "statuscode":
                shown = choice_label(CASE_STATUS, value)
            self.fields.appendChild(h("div", {"class": "kv", "data-field": name}, h("dt", None, name),
                                      h("dd", None, shown)))
        self.panel.dataset.etag = str(record.get("@odata.etag", ""))
        for callback in list(self._callbacks):
            callback(record)

    def dispose(self) -> None:
        HOSTS.pop(self.tab_id, None)
        for callback in self._disposers:
            callback()
        self._disposers.clear()
        super().dispose()


def enable(page_host: PageHost, entities: tuple[str, ...] = ("incident", "account", "contact")) -> None:
    """Show record tabs of ``entities`` with the test host, ahead of any registered page (once per host)."""
    if id(page_host) in _ENABLED:
        return
    _ENABLED.add(id(page_host))
    page_host.register(is_record(*entities), FormHostTestkit, first=True)  # first match wins
