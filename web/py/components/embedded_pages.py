"""Pages shown in an iframe: web resources (``web/webresources/``) and third-party websites.

As the reference says, both reload to their initial state when their tab is focused again ("The tab reloads to its
initial state when refocused"; web resources "reload when refocused"), and lose their state on a switch.

* A web resource is a file of ``web/webresources/`` (the reference's ``webresourceName``, e.g.
  ``msdyn_kbsearchpagehost.html``), given the tab's ``data`` as the ``data`` query parameter, as Dynamics passes it.
  It is our own content, so it runs with this origin (``allow-same-origin``) and may use the page API of its parent.
* A website is any ``https://`` page (or a path of this site), in an iframe sandboxed *without* this origin: it runs
  its scripts and forms, but cannot reach the workspace, its storage or its cookies.
"""

from __future__ import annotations

from typing import Any

import js

from browser.dom import h, on
from components.pages import Page, is_page_type

WEB_RESOURCE_ROOT = "webresources/"
WEB_RESOURCE_SANDBOX = "allow-scripts allow-same-origin allow-forms allow-popups allow-modals"
WEBSITE_SANDBOX = "allow-scripts allow-forms allow-popups"


def web_resource_url(name: str, data: object = None) -> str:
    """The URL of a web resource with its ``data`` (each path segment and the data percent-encoded)."""
    segments = [js.encodeURIComponent(part) for part in str(name).split("/") if part not in ("", ".", "..")]
    url = WEB_RESOURCE_ROOT + "/".join(segments)
    if data not in (None, ""):
        url += "?data=" + js.encodeURIComponent(data if isinstance(data, str) else js.JSON.stringify(data))
    return url


class FramePage(Page):
    """An iframe filling the panel; reloaded when refocused and on ``tab.refreshed``."""

    sandbox = WEBSITE_SANDBOX

    def url(self) -> str:
        raise NotImplementedError

    def mount(self, panel: Any) -> None:
        self.panel = panel
        self._hidden_since_load = False
        self.loads = 0
        self.frame = h("iframe", {"class": "embedded-frame", "title": self.tab.title, "sandbox": self.sandbox,
                                  "referrerpolicy": "no-referrer", "src": self.url()})
        panel.classList.add("has-frame")
        panel.appendChild(self.frame)
        on(self.frame, "load", lambda _event: self._loaded())
        self.keep(self.services.workspace.subscribe("tab.focused", self._focus_moved))
        self.keep(self.services.workspace.subscribe("session.focused", self._focus_moved))

    def _loaded(self) -> None:
        self.loads += 1
        self.frame.dataset.loads = str(self.loads)

    def _focus_moved(self, _event: Any) -> None:
        if not self.visible:
            self._hidden_since_load = True

    def reload(self) -> None:
        self._hidden_since_load = False
        self.frame.src = self.url()

    def refresh(self) -> None:
        self.reload()

    def shown(self) -> None:
        if self._hidden_since_load:  # refocused: back to its initial state, as the reference says
            self.reload()


class WebResourcePage(FramePage):
    sandbox = WEB_RESOURCE_SANDBOX

    def url(self) -> str:
        params = self.params
        return web_resource_url(params["webresourceName"], params.get("data"))


class WebsitePage(FramePage):
    def url(self) -> str:
        return str(self.params["url"])


def register(host: Any) -> None:
    """Register both pages with the page host."""
    host.register(is_page_type("webresource"), WebResourcePage)
    host.register(is_page_type("website"), WebsitePage)
