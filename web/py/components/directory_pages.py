"""Pages for people and queues, which have no record form: a user card (name, roles, e-mail, open cases, queues)
and a queue page (members, the items waiting in it, oldest first). They are what a lookup's "Open" link shows for
an owner or a queue (``NavSource.FORM_LOOKUP``), instead of the developer fallback page; data from
``/api/systemusers(<id>)/card`` and ``/api/queues(<id>)/card``. Read-only; names open the user or the case.
"""

from __future__ import annotations

from typing import Any

from apm.navigation import NavSource
from browser.dom import clear, h, on
from casework.records import RecordError
from components.lookup import remember_name
from components.pages import Page

ROLE_NAMES = {"agent": "Agent", "supervisor": "Supervisor", "admin": "Admin"}


def _when(text: Any) -> str:
    value = str(text or "")
    return value.replace("T", " ").replace("Z", "")[:16] + " UTC" if value else "—"


class _CardPage(Page):
    """Shared shell: a heading, a status line, a body filled once the card arrives."""

    kind = ""
    entity_set = ""

    def mount(self, panel: Any) -> None:
        self.panel = panel
        self.record_id = str(self.params.get("entityId") or "")
        self.heading = h("h1", {"class": "card-title"}, "Loading…")
        self.status = h("p", {"class": "card-status", "role": "status", "aria-live": "polite"}, "Loading…")
        self.body = h("div", {"class": "card-body"})
        panel.appendChild(h("article", {"class": f"card-page card-{self.kind}", "aria-busy": "true"},
                            h("header", {"class": "card-header"},
                              h("span", {"class": "form-entity"}, "User" if self.kind == "user" else "Queue"),
                              self.heading),
                            self.status, self.body))
        self.spawn(self._load())

    def refresh(self) -> None:
        self.spawn(self._load())

    async def _load(self) -> None:
        try:
            card = await self.services.client.call_json("GET", f"/{self.entity_set}({self.record_id})/card")
        except RecordError as error:
            self.heading.textContent = "Not available"
            self.status.textContent = error.message or f"The server answered {error.status}."
            return
        self.status.textContent = ""
        clear(self.body)
        self.render(card)
        self.panel.firstElementChild.setAttribute("aria-busy", "false")

    def render(self, card: dict) -> None:
        raise NotImplementedError

    def _facts(self, rows: list[tuple[str, Any]]) -> Any:
        return h("dl", {"class": "card-facts"},
                 [h("div", {"class": "card-fact"}, h("dt", None, label), h("dd", None, value))
                  for label, value in rows])

    def _open_link(self, text: str, open_it: Any) -> Any:
        link = h("a", {"href": "#", "class": "card-link"}, text)

        def follow(event: Any) -> None:
            event.preventDefault()
            open_it()

        on(link, "click", follow)
        return link


class UserCardPage(_CardPage):
    """A user's card (a case's Owner "Open")."""

    kind, entity_set = "user", "systemusers"

    def render(self, card: dict) -> None:
        name = str(card.get("fullname") or card.get("domainname") or "User")
        remember_name("systemuser", self.record_id, name)
        self.heading.textContent = name
        self.set_title(name)
        roles = ", ".join(ROLE_NAMES.get(role, role) for role in card.get("roles") or []) or "—"
        email = card.get("internalemailaddress")
        queues = card.get("queues") or []
        self.body.appendChild(self._facts([
            ("Role", roles),
            ("User name", str(card.get("domainname") or "—")),
            ("E-mail", h("a", {"href": f"mailto:{email}"}, str(email)) if email else "—"),
            ("Open cases", str(card.get("openCases", 0))),
            ("Queues", [self._queue_link(q) for q in queues] or "—"),
            ("Status", "Disabled" if card.get("isdisabled") else "Enabled"),
        ]))

    def _queue_link(self, queue: dict) -> Any:
        name = str(queue.get("name") or "Queue")
        link = self._open_link(name, lambda: self.services.open_record("queue", queue["queueid"],
                                                                       NavSource.FORM_LOOKUP, title=name))
        return h("span", {"class": "card-chip"}, link)


class QueuePage(_CardPage):
    """A queue: its members and the items waiting in it (a case's Queue "Open")."""

    kind, entity_set = "queue", "queues"

    def render(self, card: dict) -> None:
        name = str(card.get("name") or "Queue")
        remember_name("queue", self.record_id, name)
        self.heading.textContent = name
        self.set_title(name)
        members = card.get("members") or []
        items = card.get("items") or []
        count = int(card.get("itemCount") or 0)
        names = {str(m["systemuserid"]): str(m.get("fullname") or "") for m in members}
        member_list = h("ul", {"class": "card-members"},
                        [h("li", None, self._open_link(
                            str(m.get("fullname") or "User"),
                            lambda m=m: self.services.open_record("systemuser", m["systemuserid"],
                                                                  NavSource.FORM_LOOKUP, title=m.get("fullname"))))
                         for m in members]) if members else h("p", {"class": "muted"}, "Nobody is a member yet.")
        rows = [h("tr", None,
                  h("td", None, self._open_link(
                      str(item.get("title") or "Case"),
                      lambda item=item: self.services.open_record("incident", item["objectid"],
                                                                  NavSource.FORM_LOOKUP, title=item.get("title")))),
                  h("td", None, names.get(str(item.get("workerid") or ""), "") or ("—" if not item.get("workerid")
                                                                                   else "Another user")),
                  h("td", None, _when(item.get("enteredon"))))
                for item in items]
        shown = f"{count} item{'s' if count != 1 else ''} waiting" + (
            f" (the oldest {len(items)} shown)" if count > len(items) else "")
        table = h("table", {"class": "card-items"},
                  h("caption", None, shown),
                  h("thead", None, h("tr", None, h("th", {"scope": "col"}, "Case"),
                                     h("th", {"scope": "col"}, "Worked by"),
                                     h("th", {"scope": "col"}, "Entered"))),
                  h("tbody", None, rows)) if items else h("p", {"class": "muted"}, "No items are waiting.")
        description = card.get("description")
        self.body.appendChild(self._facts([("Members", str(len(members))), ("Items", str(count))]))
        if description:
            self.body.appendChild(h("p", {"class": "card-description"}, str(description)))
        self.body.appendChild(h("section", {"class": "card-section", "aria-label": "Members"},
                                h("h2", {"class": "card-section-title"}, "Members"), member_list))
        self.body.appendChild(h("section", {"class": "card-section", "aria-label": "Items"},
                                h("h2", {"class": "card-section-title"}, "Items"), table))


__all__ = ["QueuePage", "UserCardPage"]
