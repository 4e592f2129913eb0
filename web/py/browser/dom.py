"""A tiny DOM builder. Text always enters the page as text nodes, never as HTML.

``h("li", {"class": "row", "data-id": "42"}, "Case ", h("b", None, title))`` builds elements with
``document.createElement`` and ``createTextNode``; attribute values are set with ``setAttribute`` (strings only).
Event handlers are attached by the caller with :func:`on`, which keeps the proxy alive for the element's life.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import js
from pyodide.ffi import create_proxy

document = js.document
_HANDLERS: list[Any] = []


def h(tag: str, attrs: dict[str, Any] | None = None, *children: Any) -> Any:
    """Create an element with attributes and children (strings become text nodes; ``None`` is skipped)."""
    element = document.createElement(tag)
    if attrs:
        for name, value in attrs.items():
            if value is None or value is False:
                continue
            element.setAttribute(name, "" if value is True else str(value))
    append(element, *children)
    return element


def append(parent: Any, *children: Any) -> Any:
    """Append children to ``parent``: elements as they are, anything else as a text node."""
    for child in children:
        if child is None:
            continue
        kind = type(child)
        if kind is str or kind is int or kind is float:
            parent.appendChild(document.createTextNode(str(child)))
        elif kind is list or kind is tuple:  # the common containers, without the (slow) ABC check below
            append(parent, *child)
        elif hasattr(child, "nodeType"):
            parent.appendChild(child)
        elif isinstance(child, str | int | float):  # subclasses (an IntEnum, a StrEnum)
            parent.appendChild(document.createTextNode(str(child)))
        elif isinstance(child, Iterable):
            append(parent, *child)
        else:
            parent.appendChild(child)
    return parent


def clear(element: Any) -> Any:
    """Remove every child of ``element``."""
    element.replaceChildren()
    return element


def text(element: Any, value: str) -> Any:
    """Set an element's text (never its HTML)."""
    element.textContent = value
    return element


def on(element: Any, event: str, handler: Callable[[Any], Any]) -> Any:
    """Listen to a DOM event with a Python callable; returns the proxy (keep it to remove the listener)."""
    proxy = create_proxy(handler)
    _HANDLERS.append(proxy)
    element.addEventListener(event, proxy)
    return proxy


def by_id(element_id: str) -> Any:
    """``document.getElementById`` with a clear error when the shell lacks the element."""
    element = document.getElementById(element_id)
    if element is None:
        raise LookupError(f"the page has no element #{element_id}")
    return element
