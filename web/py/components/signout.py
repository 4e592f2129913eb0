"""The header's "Sign out": end the session on the server, forget this user's saved workspaces and unsaved drafts
in this browser (``casework.statedb.forget_user``), then go to the sign-in page.

Hooked up by one line in ``components.header.install``; it needs only the agent, the records client and (when
restore is on) the page's ``PageRestore``, which must stop saving first or ``pagehide`` would write the workspace
back.
"""

from __future__ import annotations

from typing import Any

import js

from browser.dom import h, on
from browser.storage import LocalStorageConnector
from browser.tasks import spawn
from casework.statedb import forget_user


def install(services: Any) -> None:
    """Add the Sign out button at the end of the header."""
    button = h("button", {"type": "button", "class": "signout-button", "id": "signout-button",
                          "title": "Sign out and clear this browser's saved workspace"}, "Sign out")
    js.document.querySelector(".header-end").appendChild(button)
    on(button, "click", lambda _event: spawn(sign_out(services), services.report))


async def sign_out(services: Any) -> None:
    """Sign out (see the module docstring); the sign-in page comes next whether or not the server answered."""
    services.signing_out = True
    restore = services.restore
    if restore is not None:
        restore.stop_saving()
    agent = services.agent
    try:
        forget_user(LocalStorageConnector(), str(js.window.location.origin), agent.user_id or agent.username)
    except Exception as error:  # storage blocked: nothing was saved there either
        js.console.warn(f"sign out: {error!r}")
    try:
        await services.client.logout()
    except Exception as error:  # already signed out (idle timeout) or offline: the cookie is gone or soon void
        js.console.warn(f"sign out: {error!r}")
    js.window.location.replace("signin.html")
