"""Helpers shared by e2e modules: the records API as a signed-in browser context, and Python run in the page."""

from __future__ import annotations

import json
import uuid

from playwright.sync_api import APIRequestContext, Locator, Page

# Back to Home only: every other session and Home's extra tabs closed (without asking), Home focused, notices
# cleared; Apm events are recorded into window.__events from then on (test_apm_api reads them).
RESET_JS = """async () => {
  const A = Microsoft.Apm;
  await A.ready;
  for (const sessionId of A.getAllSessions()) {
    const session = A.getSession(sessionId);
    if (session.isDefault) continue;
    session.canClose = true;
    session.close();
  }
  const home = A.getSession("home");
  for (const tabId of home.getAllTabs().slice(1)) {
    const tab = home.getTab(tabId);
    tab.canClose = true;
    tab.close();
  }
  home.focus();
  document.querySelectorAll("#notices .notice").forEach((n) => n.remove());
  window.__events = [];
  if (!window.__recording) {
    window.__recording = true;
    document.addEventListener("apm:event", (e) => window.__events.push(e.detail.name));
  }
}"""


def run_python(page: Page, code: str) -> object:
    """Run Python in the page's interpreter (a dynamically added PyScript tag); return what it assigns `result`."""
    marker = "py" + uuid.uuid4().hex[:8]
    source = f"{code}\nimport js, json\njs.document.body.dataset.{marker} = json.dumps(result)\n"
    page.evaluate("(src) => { const s = document.createElement('script'); s.type = 'py'; s.textContent = src; "
                  "document.body.append(s); }", source)
    attribute = "data-" + marker
    page.wait_for_selector(f"body[{attribute}]", state="attached", timeout=15_000)
    return json.loads(page.evaluate(f"document.body.getAttribute('{attribute}')"))


def unique_word() -> str:
    """A word no seeded record contains (searchable, so a test finds exactly its own records)."""
    return "Zq" + uuid.uuid4().hex[:8]


class Api:
    """The records API as a browser context's user (its cookies, its CSRF token)."""

    def __init__(self, request: APIRequestContext, base: str) -> None:
        self.request = request
        self.base = base.rstrip("/") + "/api/"
        me = self.request.get(self.base + "me")
        assert me.ok, me.text()
        self.csrf = me.json()["csrfToken"]
        self.user_id = me.json()["user"]["systemuserid"]

    def _check(self, response, expected: tuple[int, ...] = (200, 201, 204)) -> dict:
        assert response.status in expected, f"{response.status} {response.text()[:300]}"
        return response.json() if response.status != 204 else {}

    def get(self, path: str, **params: object) -> dict:
        return self._check(self.request.get(self.base + path, params=params or None))

    def post(self, path: str, body: dict, etag: str | None = None) -> dict:
        headers = {"X-CSRF-Token": self.csrf, **({"If-Match": etag} if etag else {})}
        return self._check(self.request.post(self.base + path, data=body, headers=headers))

    def patch(self, path: str, body: dict, etag: str) -> dict:
        return self._check(self.request.patch(self.base + path, data=body,
                                              headers={"X-CSRF-Token": self.csrf, "If-Match": etag}))

    def first_account(self) -> dict:
        return self.get("accounts", **{"$top": 1, "$orderby": "name asc"})["value"][0]

    def new_case(self, title: str, **fields: object) -> dict:
        account = self.first_account()
        return self.post("incidents", {"title": title, "customerid": account["accountid"],
                                       "customeridtype": "account", **fields})

    def add(self, entity_set: str, case_id: str, subject: str, text: str = "") -> dict:
        """A note (``annotations``) or an activity regarding the case."""
        if entity_set == "annotations":
            return self.post("annotations", {"subject": subject, "notetext": text or f"Text of {subject}",
                                             "objectid": case_id, "objecttypecode": "incident"})
        return self.post(entity_set, {"subject": subject, "description": text or None,
                                      "regardingobjectid": case_id, "regardingobjecttypecode": "incident"})

    def timeline(self, case_id: str) -> list[dict]:
        return self.get(f"incidents({case_id})/timeline", **{"$top": 100})["value"]


def home_list(page: Page, name: str) -> Locator:
    """One of the Home dashboard's lists (``cases``, ``queue``, ``activities``)."""
    return page.locator(f"#panel-home-dashboard .list-view[data-list='{name}']")


def list_rows(lst: Locator) -> Locator:
    """A list view's record rows."""
    return lst.locator("tbody tr[data-id]")


def search_list(lst: Locator, text: str) -> None:
    """Search a list view in place (its own search box, Enter)."""
    box = lst.locator("input.list-search")
    box.fill(text)
    box.press("Enter")
