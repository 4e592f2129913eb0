"""A contact's open cases: a form extension (``components.form_extensions``) for contacts (issue 15, item 13).

A sub-list at the top of ``host.side``: the contact's active cases (number, title, status reason), newest first,
read with one ``GET /api/incidents`` (the server's authorisation applies: only cases the agent may see). A case
opens in a tab of the current session. It follows the record (``host.on_record``) and reads again after a reload.
"""

from __future__ import annotations

from typing import Any

from apm.navigation import NavSource
from browser.dom import build, clear, on, unique_id
from casework.entities import CASE_STATUS
from casework.listview import Condition
from casework.records import RecordError
from components.pages import spawn

SHOWN = 10  # cases listed; the heading counts them all
_STATUS = dict(CASE_STATUS)


def cases_filter(contact_id: str) -> str:
    """The ``$filter`` of a contact's active cases."""
    return f"{Condition('customerid', 'eq', contact_id).odata(None)} and {Condition('statecode', 'eq', 0).odata(None)}"


class ContactCasesPanel:
    """The "Open cases" panel of a contact form."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.services = host.services
        self.contact_id: str | None = None
        heading_id = unique_id("cc-title")
        self.root, refs = build(
            ["section", {"class": "contact-cases", "aria-labelledby": heading_id},
             ["h2", {"class": "cc-title", "id": heading_id}, "Open cases ",
              ["span", {"class": "cc-count muted", "$ref": "count"}]],
             ["p", {"class": "cc-status muted", "role": "status", "$ref": "status"}],
             ["ul", {"class": "cc-list", "$ref": "list"}]])
        self.count, self.status, self.list = refs["count"], refs["status"], refs["list"]
        on(self.list, "click", self._clicked)
        side = host.side
        if side.firstChild:
            side.insertBefore(self.root, side.firstChild)
        else:
            side.appendChild(self.root)
        host.add_disposer(host.on_record(self._record))
        if host.record is not None:
            self._record(host.record)
        elif not host.record_id:
            self.root.hidden = True  # a new contact has no cases yet

    def _record(self, record: dict) -> None:
        contact_id = str(record.get("contactid") or self.host.record_id or "")
        if not contact_id:
            return
        self.root.hidden = False
        self.contact_id = contact_id
        spawn(self.load())

    async def load(self) -> None:
        contact_id = self.contact_id
        self.status.textContent = "Loading cases…"
        try:
            page = await self.services.client.list(
                "incidents", filter=cases_filter(contact_id),
                select=["incidentid", "title", "ticketnumber", "statuscode"],
                orderby="createdon desc", top=SHOWN, count=True)
        except RecordError as error:
            self.status.textContent = f"The cases could not be read: {error.message}"
            return
        if contact_id != self.contact_id:
            return  # another record arrived meanwhile
        self.render(page.records, page.count)

    def render(self, cases: list[dict], total: int | None) -> None:
        clear(self.list)
        total = len(cases) if total is None else total
        self.count.textContent = f"({total})"
        self.status.textContent = "" if cases else "No open cases."
        rows = []
        for case in cases:
            title = str(case.get("title") or "(no title)")
            status = _STATUS.get(case.get("statuscode"), "")
            rows.append(["li", {"class": "cc-item"},
                         ["button", {"type": "button", "class": "cc-open link-button",
                                     "data-id": str(case.get("incidentid") or ""), "data-title": title},
                          ["span", {"class": "cc-number"}, str(case.get("ticketnumber") or "")],
                          ["span", {"class": "cc-case-title"}, title]],
                         ["span", {"class": "cc-case-status"}, status]])
        if total > len(cases):
            rows.append(["li", {"class": "cc-more muted"}, f"and {total - len(cases)} more"])
        fragment, _ = build(["", None, rows])
        self.list.appendChild(fragment)

    def _clicked(self, event: Any) -> None:
        button = event.target.closest(".cc-open")
        if button and button.dataset.id:
            self.services.open_record("incident", str(button.dataset.id), NavSource.FORM_LOOKUP,
                                      title=str(button.dataset.title))


def install(host: Any) -> ContactCasesPanel:
    """The form extension (see ``components.form_extensions``)."""
    return ContactCasesPanel(host)
