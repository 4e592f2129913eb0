"""Modal dialogs on the native ``<dialog>`` element: focus moves in and is trapped (Tab and Shift+Tab cycle
inside it), Escape cancels, the element that had focus gets it back (or, when that was ``<body>`` or is gone, the
focused tab: ``focus_fallback``). Each call returns a Future with the button the agent chose.

    choice = await services.dialogs.confirm("Delete 3 cases?", "This cannot be undone.", confirm="Delete",
                                            danger=True)
    value = await services.dialogs.show("Resolve case", body, [("Cancel", None), ("Resolve", "resolve", "primary")])
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from browser.dom import active_element, document, h, on

FOCUSABLE = "button, input, select, textarea, a[href], [tabindex]:not([tabindex='-1'])"


class Dialogs:
    """Opens modal dialogs in ``host`` (the page body by default); one at a time is the normal case."""

    def __init__(self, host: Any = None) -> None:
        self.host = host if host is not None else document.body
        self.open_count = 0
        # Where focus goes when what opened a dialog is gone or was <body> (boot: the focused tab's button).
        self.focus_fallback: Callable[[], None] | None = None

    def show(self, title: str, body: Any, buttons: Sequence[tuple], *, on_open: Callable[[Any], None] | None = None,
             validate: Callable[[object], bool] | None = None, label: str | None = None) -> asyncio.Future:
        """Show a dialog; resolves to the chosen button's value (``None`` on Escape or the close button).

        Args:
            title: Heading (also the dialog's accessible name).
            body: An element (or text) shown under the heading.
            buttons: ``(label, value)`` or ``(label, value, kind)`` with kind ``primary``, ``danger`` or
                ``secondary``; the last primary/danger button is the default action.
            on_open: Called with the ``<dialog>`` once shown (to focus a field).
            validate: Called with the chosen value before closing; returning False keeps the dialog open.
            label: Extra class on the dialog (for styling and tests).
        """
        future: asyncio.Future = asyncio.get_event_loop().create_future()
        previous = active_element()
        heading_id = f"dialog-title-{self.open_count + 1}"
        dialog = h("dialog", {"class": f"dialog {label or ''}".strip(), "aria-labelledby": heading_id})
        form = h("form", {"method": "dialog", "class": "dialog-form"})
        form.appendChild(h("h2", {"class": "dialog-title", "id": heading_id}, title))
        if isinstance(body, str):
            body = h("p", {"class": "dialog-text"}, body)
        if body is not None:
            form.appendChild(h("div", {"class": "dialog-body"}, body))
        actions = h("div", {"class": "dialog-actions"})
        default_button = None
        for spec in buttons:
            text, value = spec[0], spec[1]
            kind = spec[2] if len(spec) > 2 else "secondary"
            button = h("button", {"type": "button", "class": f"button-{kind}", "data-value": str(value)}, text)
            on(button, "click", lambda _event, v=value: finish(v))
            actions.appendChild(button)
            if kind in ("primary", "danger"):
                default_button = button
        form.appendChild(actions)
        dialog.appendChild(form)

        def finish(value: object) -> None:
            if future.done():
                return
            if validate is not None and value is not None and not validate(value):
                return
            future.set_result(value)
            dialog.close()
            dialog.remove()
            self.open_count -= 1
            # activeElement may be a falsy JsNull; <body> or a removed element would leave focus nowhere
            usable = bool(previous) and hasattr(previous, "focus") and bool(previous.isConnected) and \
                str(getattr(previous, "tagName", "")).lower() != "body"
            if usable:
                previous.focus()
            elif self.focus_fallback is not None and not self.open_count:
                self.focus_fallback()

        def submit(event: Any) -> None:  # Enter in a single-line field: the default action
            event.preventDefault()
            if default_button is not None:
                default_button.click()

        def trap(event: Any) -> None:  # Tab cycles inside the dialog (never out to the page or the browser)
            if event.key != "Tab":
                return
            items = [item for item in dialog.querySelectorAll(FOCUSABLE)
                     if not item.disabled and item.getClientRects().length]
            if not items:
                return
            current = active_element()
            if event.shiftKey and (not current or current.isSameNode(items[0]) or not dialog.contains(current)):
                event.preventDefault()
                items[-1].focus()
            elif not event.shiftKey and (not current or current.isSameNode(items[-1]) or not dialog.contains(current)):
                event.preventDefault()
                items[0].focus()

        on(form, "submit", submit)
        on(dialog, "keydown", trap)
        on(dialog, "cancel", lambda event: (event.preventDefault(), finish(None)))
        self.host.appendChild(dialog)
        self.open_count += 1
        dialog.showModal()
        if on_open is not None:
            on_open(dialog)
        elif default_button is not None:
            default_button.focus()
        return future

    def confirm(self, title: str, message: str | Any, *, confirm: str = "OK", cancel: str = "Cancel",
                danger: bool = False) -> asyncio.Future:
        """Resolves to True when confirmed, False otherwise."""
        future: asyncio.Future = asyncio.get_event_loop().create_future()
        inner = self.show(title, message, [(cancel, False), (confirm, True, "danger" if danger else "primary")])
        inner.add_done_callback(lambda done: future.set_result(done.result() is True))
        return future
